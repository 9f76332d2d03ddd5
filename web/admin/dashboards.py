"""The dashboards (docs/console.md, "Dashboards"): a page per dashboard with its chart, and
the JSON it draws from, `/admin/dashboards/<name>.json?from=&to=&station=`. Both HQ and
station managers; a manager's figures are always their own station's. Bad filters give
400 {"error": {"code", "message", "field"}}; another station's, 404 (`not_found`)."""
from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from extensions import db
from loyalty.dashboards import filters
from loyalty.dashboards.figures import DASHBOARDS
from loyalty.errors import LoyaltyError
from loyalty.people.staff_scope import is_hq
from models import Station
from web.admin import bp
from web.admin.access import console_page
from web.clock import now
from web.staff_login import current_staff

TITLES = {"sales": "油品销量", "member-share": "会员销售占比", "peak-hours": "高峰时段", "members": "新增与活跃会员",
          "tiers": "等级分布", "liabilities": "积分与储值负债", "coupons": "优惠券", "pushes": "推送"}
assert set(TITLES) == set(DASHBOARDS)
STATUS = {"not_found": 404}


@bp.get("/dashboards")
@console_page
def dashboards_home():
    return redirect(url_for("admin.dashboard", name="sales"))


@bp.get("/dashboards/<name>.json")
@console_page
def dashboard_json(name: str):
    figures = DASHBOARDS.get(name)
    if figures is None:
        return _error("unknown_dashboard", "没有这个看板", None, 404)
    try:
        chosen = filters.read(current_staff(), request.args, now())
    except LoyaltyError as exc:
        return _error(exc.code, exc.message, exc.details.get("field"), STATUS.get(exc.code, 400))
    return jsonify(figures(chosen))


@bp.get("/dashboards/<name>")
@console_page
def dashboard(name: str):
    if name not in DASHBOARDS:
        abort(404)
    staff = current_staff()
    stations = db.session.execute(select(Station.code, Station.name).order_by(Station.code)).all() \
        if is_hq(staff) else []
    own = None if is_hq(staff) else db.session.get(Station, staff.station_id)
    return render_template("admin/dashboard.html", name=name, titles=TITLES, stations=stations, own=own,
                           chosen={k: request.args.get(k, "") for k in ("from", "to", "station")})


def _error(code: str, message: str, field: str | None, status: int):
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status
