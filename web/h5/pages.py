"""The pages a member reads (templates/h5/). Each takes the session's member; ids in a
URL are looked up through that member (loyalty.people.records: NotFound otherwise)."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from flask import current_app, render_template, request

from extensions import db
from loyalty.benefits import rewards
from loyalty.people import profile as profile_rules
from loyalty.people import records
from loyalty.people.statements import points_statement, wallet_statement
from models import Family, FuelGrade, Member
from web.csrf import csrf_token
from web.h5 import bp
from web.h5.auth import finish_oauth, member_page


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


def _per_page() -> int:
    return int(current_app.config["H5_PAGE_SIZE"])


@bp.get("/oauth")
def oauth():
    return finish_oauth()


@bp.get("/")
@member_page
def index(member: Member):
    return render_template("h5/index.html", member=member, points=points_statement(member),
                           wallet=wallet_statement(member))


@bp.get("/records")
@member_page
def records_list(member: Member):
    return render_template("h5/records.html", member=member,
                           sales=records.sales_page(member, _page_number(), _per_page()))


@bp.get("/records/<int:sale_id>")
@member_page
def sale_detail(member: Member, sale_id: int):
    sale = records.own_sale(member, sale_id)
    return render_template("h5/sale.html", member=member, sale=sale, station=records.station_name(sale))


@bp.get("/points")
@member_page
def points(member: Member):
    now = datetime.now(timezone.utc)
    return render_template("h5/points.html", member=member, statement=points_statement(member, now=now),
                           lots=records.point_lots(member, now=now),
                           movements=records.point_movements(member, _page_number(), _per_page()))


@bp.get("/coupons")
@member_page
def coupons(member: Member):
    return render_template("h5/coupons.html", member=member, coupons=records.coupons_of(member))


@bp.get("/coupons/<int:coupon_id>")
@member_page
def coupon_detail(member: Member, coupon_id: int):
    return render_template("h5/coupon.html", member=member, coupon=records.own_coupon(member, coupon_id))


def rewards_page(member: Member, *, error: str | None = None, status: int = 200):
    """The catalogue with a fresh request key per item form: a double submit of one form
    sends the same key, so it redeems once."""
    return render_template("h5/rewards.html", member=member, catalogue=rewards.catalogue(member),
                           statement=points_statement(member), redemptions=records.redemptions_of(member, 5),
                           request_key=secrets.token_urlsafe(18), csrf=csrf_token(), error=error), status


@bp.get("/rewards")
@member_page
def rewards_list(member: Member):
    return rewards_page(member)


@bp.get("/rewards/redemptions/<int:redemption_id>")
@member_page
def redemption_detail(member: Member, redemption_id: int):
    return render_template("h5/redemption.html", member=member,
                           redemption=records.own_redemption(member, redemption_id))


@bp.get("/family")
@member_page
def family(member: Member):
    pool = db.session.get(Family, member.family_id) if member.family_id else None
    return render_template("h5/family.html", member=member, family=pool, statement=points_statement(member))


def profile_page(member: Member, *, error: str | None = None, saved: bool = False, status: int = 200):
    grades = db.session.query(FuelGrade).order_by(FuelGrade.code).all()
    return render_template("h5/profile.html", member=member, grades=grades,
                           vehicle_types=profile_rules.VEHICLE_TYPES,
                           prefs=profile_rules.push_preferences(member), csrf=csrf_token(),
                           error=error, saved=saved, subscribe=subscribe_offer()), status


def subscribe_offer() -> dict | None:
    """The subscription-notice button for the reminder kinds: their template ids, the
    unused acceptances, and wx.config signed with the shared jsapi_ticket for this page.
    None (no button) when no reminder kind has a subscription template, or when WeChat
    cannot give a ticket now (the page still works)."""
    import logging

    from bot.wechat import get_client
    from bot.wechat_http import WeChatAPIError
    from loyalty.notices import acceptances
    from loyalty.notices.kinds import SPECS, Category
    from flask import session
    from loyalty.notices.templates import mapping
    configured = mapping("subscribe")
    templates = [configured[k.value]["template_id"] for k, spec in SPECS.items()
                 if spec.category is Category.REMINDER and k.value in configured]
    if not templates:
        return None
    try:
        config = get_client().jssdk_config(request.url)
    except WeChatAPIError:
        logging.getLogger("youka.h5").warning("no jsapi_ticket: the subscribe button is hidden", exc_info=True)
        return None
    openid = session.get("openid")
    left = acceptances.left(openid) if openid else {}
    return {"templates": ",".join(templates), "config": config, "left": sum(left.get(t, 0) for t in templates)}


@bp.get("/profile")
@member_page
def profile(member: Member):
    return profile_page(member, saved=request.args.get("saved") == "1")
