"""Configuration (HQ only): the rule book as YAML with validation and a preview, the tiers,
and the coupon templates, rewards and top-up bonus rules as forms. Every save goes
through loyalty.config_changes (one function per kind), which writes the change record."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from extensions import db
from loyalty import changes, config_changes
from loyalty.config_fields import COUPON_TEMPLATE, REWARD, TIER, TOPUP_BONUS_RULE, Field, form_values
from loyalty.errors import LoyaltyError, ValidationError
from loyalty.people.search import search
from loyalty.rules import export
from loyalty.rules.preview import preview
from loyalty.till.sales import station_by_code
from models import CouponTemplate, Member, RewardItem, Station, Tier, TopupBonusRule
from web.admin import bp
from web.admin.access import hq_page
from web.cashier.lines import parse_lines, price_board, shop_categories
from web.staff_login import current_staff


def _rules_page(text: str, *, error: str | None = None, result=None, sale: dict | None = None, status: int = 200):
    stations = db.session.scalars(select(Station).where(Station.active).order_by(Station.code)).all()
    board = price_board(stations[0]) if stations else []
    return render_template("admin/rules.html", text=text, error=error, result=result, sale=sale or {},
                           stations=stations, grades=board, categories=shop_categories(),
                           history=changes.for_object("rule_book", "active")[:10]), status


@bp.get("/rules")
@hq_page
def rules():
    return _rules_page(export.as_yaml(export.rule_book()))


@bp.post("/rules")
@hq_page
def save_rules():
    text = request.form.get("yaml", "")
    try:
        summary = config_changes.save_rule_book(text, staff=current_staff(), reason=request.form.get("reason", ""))
    except ValidationError as exc:
        field = exc.details.get("field")
        return _rules_page(text, error=exc.message + (f"（{field}）" if field else ""), status=400)
    flash(str(summary), "ok")
    return redirect(url_for("admin.rules"))


def _preview_member(raw: str) -> Member:
    found = search(current_staff(), raw)
    if len(found) != 1:
        raise ValidationError("请输入能唯一确定会员的手机号（11 位或后 4 位）或车牌", field="member")
    return db.session.get(Member, found[0].id)


@bp.post("/rules/preview")
@hq_page
def preview_rules():
    form = request.form
    text = form.get("yaml", "")
    sale = {k: form.get(k, "") for k in ("member", "station", "grade", "litres", "category", "shop_amount")}
    try:
        member = _preview_member(sale["member"])
        station = station_by_code(sale["station"])
        lines = []
        if sale["litres"].strip():
            lines.append({"kind": "fuel", "grade": sale["grade"], "litres": sale["litres"]})
        if sale["shop_amount"].strip():
            lines.append({"kind": "shop", "category": sale["category"], "amount": sale["shop_amount"]})
        result = preview(text, member, station, parse_lines(lines, station))
    except LoyaltyError as exc:
        field = exc.details.get("field")
        return _rules_page(text, error=exc.message + (f"（{field}）" if field else ""), sale=sale, status=400)
    return _rules_page(text, result=result, sale=sale)


@bp.get("/tiers")
@hq_page
def tiers():
    rows = db.session.scalars(select(Tier).order_by(Tier.rank)).all()
    return render_template("admin/tiers.html", tiers=[(t, form_values(TIER, t)) for t in rows], fields=TIER)


@bp.post("/tiers/<code>")
@hq_page
def save_tier(code: str):
    try:
        config_changes.save_tier(code, request.form, staff=current_staff(), reason=request.form.get("reason", ""))
    except ValidationError as exc:
        flash(f"{code}：{exc.message}", "error")
        return redirect(url_for("admin.tiers")), 303
    flash(f"等级 {code} 已保存", "ok")
    return redirect(url_for("admin.tiers"))


@dataclass(frozen=True)
class Room:
    """One kind of configuration object edited by a form."""
    kind: str              # the change record's kind
    title: str
    model: type
    fields: tuple[Field, ...]
    key: str               # the attribute that names an object: "code", or "id"
    save: Callable
    columns: tuple[str, ...]


ROOMS = {
    "coupon-templates": Room("coupon_template", "优惠券模板", CouponTemplate, COUPON_TEMPLATE, "code",
                             config_changes.save_coupon_template, ("code", "name", "kind", "active")),
    "rewards": Room("reward", "积分商城商品", RewardItem, REWARD, "code", config_changes.save_reward,
                    ("code", "name", "kind", "points_price", "stock", "per_member_limit", "active")),
    "topup-bonus-rules": Room("topup_bonus_rule", "充值赠送规则", TopupBonusRule, TOPUP_BONUS_RULE, "id",
                              config_changes.save_topup_bonus_rule, ("id", "label", "min_topup_fen", "bonus_fen",
                                                                     "active")),
}


def _room(slug: str) -> Room:
    if slug not in ROOMS:
        abort(404)
    return ROOMS[slug]


def _find(room: Room, key: str):
    if room.key == "id":
        return db.session.get(room.model, int(key)) if key.isdigit() and int(key) < 2 ** 31 else None
    return db.session.scalars(select(room.model).where(getattr(room.model, room.key) == key)).first()


@bp.get("/config/<slug>")
@hq_page
def objects(slug: str):
    room = _room(slug)
    rows = db.session.scalars(select(room.model).order_by(room.model.id)).all()
    return render_template("admin/objects.html", room=room, slug=slug, rows=rows)


def _form_page(room: Room, slug: str, key: str | None, values: dict, *, error: str | None = None, status: int = 200):
    return render_template("admin/object_form.html", room=room, slug=slug, key=key, values=values, error=error,
                           history=changes.for_object(room.kind, key) if key else []), status


@bp.get("/config/<slug>/new")
@hq_page
def new_object(slug: str):
    room = _room(slug)
    return _form_page(room, slug, None, form_values(room.fields, None) | {"active": True, "stackable": True})


@bp.get("/config/<slug>/<key>")
@hq_page
def edit_object(slug: str, key: str):
    room = _room(slug)
    row = _find(room, key)
    if row is None:
        abort(404)
    return _form_page(room, slug, key, form_values(room.fields, row))


@bp.post("/config/<slug>")
@hq_page
def save_object(slug: str):
    room, form = _room(slug), request.form
    key = form.get("key") or None
    if room.key == "id":
        target = int(key) if key and key.isdigit() else None
        if key and target is None:
            abort(404)
    else:
        target = form.get("code") if key is None else key
    try:
        row = room.save(target, form, staff=current_staff(), reason=form.get("reason", ""))
    except LoyaltyError as exc:
        values = {f.name: (f.name in form) if f.type == "bool" else form.get(f.name, "") for f in room.fields}
        return _form_page(room, slug, key, values | {"code": form.get("code", "")}, error=exc.message, status=400)
    flash(f"{room.title} {getattr(row, room.key)} 已保存", "ok")
    return redirect(url_for("admin.edit_object", slug=slug, key=getattr(row, room.key)))
