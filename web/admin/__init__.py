"""The operators' console (PRODUCT M14) under /admin: thin server-rendered pages over loyalty/.

    access.py    who may open which page: the console_page / hq_page decorators (roles), CSRF on writes
    members.py   search, the member's file, revealing a phone, manual adjustments and their approval
    config.py    the rule book (YAML, preview), tiers, coupon templates, rewards, top-up bonus rules
    wording.py   what members read: the notice-kind -> template mapping, the editable reply texts
    changes.py   the change records: one object's, and the timeline
    inbox.py     feedback tickets and invoice requests
    books.py     the books-health panel (loyalty.books.invariants)
    campaigns.py segments, campaigns and their reports (loyalty.campaigns)
    profiles.py  the RFM segments and the member tag rules (loyalty.profiles)
    dashboards.py the dashboards' pages and their JSON (loyalty.dashboards)
    exports.py   CSV exports of members, sales, ledger entries and coupons (HQ, audited, streamed)

The login is the till's (web/staff_login.py, one login system): an anonymous visitor is
sent to /cashier/login and back. Scopes (what a station manager sees) are
loyalty.people.staff_scope's. Templates: templates/admin/.
"""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, url_for

from loyalty.errors import LoyaltyError
from loyalty.policy import BUSINESS_TZ
from loyalty.till.pricing import fen_to_yuan

# static/: the vendored Apache ECharts (static/echarts/README.md) and our dashboards.js.
bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder="static")
STATUS = {"validation_error": 400, "not_allowed": 403, "not_found": 404}


@bp.errorhandler(LoyaltyError)
def loyalty_error(exc: LoyaltyError):
    status = STATUS.get(exc.code, 409)
    return render_template("admin/error.html", message=exc.message, status=status), status


@bp.errorhandler(413)
def too_large(exc):
    return render_template("admin/error.html", message="提交的内容过大", status=413), 413


@bp.context_processor
def _csrf() -> dict:
    from web.csrf import csrf_token
    return {"csrf_token": csrf_token}


@bp.app_template_filter("yuan")
def yuan(fen) -> str:
    return "" if fen is None else fen_to_yuan(int(fen))


@bp.app_template_filter("local")
def local(moment) -> str:
    from loyalty.books.ledger import as_utc
    return "" if moment is None else as_utc(moment).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


@bp.get("/login")
def login():
    return redirect(url_for("cashier.login", next=url_for("admin.home")))


def init_app(app: Flask) -> None:
    # The routes register on bp as their modules load.
    from web.admin import (books, campaigns, changes, config, dashboards, exports, inbox, members, pages,  # noqa: F401
                           profiles, wording)
    app.register_blueprint(bp)
