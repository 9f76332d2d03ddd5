"""Members: search (by tier, tag and RFM segment too), the member's file with its profile, revealing one full phone (HQ, with a reason),
manual adjustments and their approval by a second HQ admin."""
from __future__ import annotations

import re
import secrets

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from extensions import db
from loyalty import changes
from loyalty.books import adjustments
from loyalty.errors import InsufficientBalance, InsufficientPoints, ValidationError
from loyalty.people import search as member_search
from loyalty.people.member_file import masked_openid, member_file
from loyalty.people.staff_scope import visible_member
from loyalty.profiles import read as profile_read, segments
from models import Staff, Tier
from web.admin import bp
from web.admin.access import console_page, hq_page
from web.cashier.money import yuan_to_fen
from web.staff_login import current_staff


@bp.get("/members")
@console_page
def members():
    args = request.args
    query, filters = args.get("q", ""), {k: args.get(k) or None for k in ("tier", "tag", "segment")}
    before = args.get("before") or None
    if before is not None and not (before.isdigit() and len(before) < 10):
        raise ValidationError("before 须为会员编号", field="before")
    found = None
    if query.strip() or any(filters.values()):
        found = member_search.search(current_staff(), query, before=int(before) if before else None, **filters)
    tiers = db.session.scalars(select(Tier).order_by(Tier.rank)).all()
    more = found[-1].id if found and len(found) == member_search.LIMIT else None
    return render_template("admin/members.html", q=query, tiers=tiers, found=found, more=more,
                           tags=profile_read.tags(), segments=segments.SEGMENTS, **filters)


def _page(member, *, revealed: str | None = None, error: str | None = None, status: int = 200):
    staff = current_staff()
    names = dict(db.session.execute(select(Staff.id, Staff.username)).all())
    return render_template("admin/member.html", file=member_file(staff, member), revealed=revealed,
                           profile=profile_read.of_member(member.id), weekdays=profile_read.WEEKDAYS,
                           masked_openid=masked_openid, error=error, names=names,
                           adjust_key=secrets.token_urlsafe(16),
                           reveals=changes.for_object("phone_reveal", str(member.id))), status


@bp.get("/members/<int:member_id>")
@console_page
def member(member_id: int):
    return _page(visible_member(current_staff(), member_id))


@bp.post("/members/<int:member_id>/reveal")
@hq_page
def reveal(member_id: int):
    member = visible_member(current_staff(), member_id)
    try:
        phone = member_search.reveal_phone(current_staff(), member, request.form.get("reason", ""))
    except ValidationError as exc:
        return _page(member, error=exc.message, status=400)
    return _page(member, revealed=phone)


def _amount(kind: str, raw: str) -> int:
    text = (raw or "").strip()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if kind == "points":
        if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) == 0:
            raise ValidationError("积分数须为非零整数，扣减请写负数", field="amount")
        return sign * int(text)
    return sign * yuan_to_fen(text, "amount", "调整金额")


@bp.post("/members/<int:member_id>/adjustments")
@hq_page
def adjust(member_id: int):
    staff, form = current_staff(), request.form
    member = visible_member(staff, member_id)
    try:
        kind = form.get("account_kind", "")
        done = adjustments.request(member, kind, _amount(kind, form.get("amount", "")), reason=form.get("reason", ""),
                                   key=form.get("key", ""), staff=staff, bucket=form.get("bucket") or None)
    except (ValidationError, InsufficientPoints, InsufficientBalance) as exc:
        return _page(member, error=exc.message, status=400)
    row = done.result
    flash("已提交，等待另一位总部管理员审批" if row.status == "pending" else "已调整", "ok")
    return redirect(url_for("admin.member", member_id=member.id))


@bp.get("/adjustments")
@hq_page
def pending_adjustments():
    names = dict(db.session.execute(select(Staff.id, Staff.username)).all())
    return render_template("admin/adjustments.html", pending=adjustments.pending(), names=names,
                           me=current_staff())


@bp.post("/adjustments/<int:adjustment_id>/approve")
@hq_page
def approve(adjustment_id: int):
    adjustments.approve(adjustment_id, staff=current_staff())
    flash(f"调整 #{adjustment_id} 已批准并入账", "ok")
    return redirect(url_for("admin.pending_adjustments"))


@bp.post("/adjustments/<int:adjustment_id>/reject")
@hq_page
def reject(adjustment_id: int):
    adjustments.reject(adjustment_id, staff=current_staff(), reason=request.form.get("reason", ""))
    flash(f"调整 #{adjustment_id} 已驳回", "ok")
    return redirect(url_for("admin.pending_adjustments"))
