"""Coupons: issuing, listing, using, giving back on refund, expiring, counting.

A coupon is valid while valid_from <= now < valid_until (UTC, end exclusive). Its status
moves issued -> used (by a sale) or issued -> expired (by the sweep); a refund may move
used -> issued again (see `restore`). What a coupon takes off a sale is
loyalty.benefits.coupon_terms. Everything flushes, never commits.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from loyalty.errors import CouponNotApplicable, DuplicateConflict, NotFound, ValidationError
from loyalty.books.ledger import as_utc, utc
from loyalty.policy import BUSINESS_TZ
from loyalty.benefits.coupon_terms import check
from models import Coupon, CouponTemplate, Member
from models.coupon import COUPON_SOURCES

__all__ = ["issue", "validity", "usable", "use", "restore", "expire_due", "counts"]


def validity(template: CouponTemplate, issued_at: datetime) -> tuple[datetime, datetime]:
    """(valid_from, valid_until) of a coupon of this template issued at `issued_at`.

    `valid_days` N: until the end of the business day N days after the day of issue (0: the
    day of issue itself); a fixed window clips that, or is the window when N is not set."""
    start, end = issued_at, None
    if template.valid_days is not None:
        last_day = issued_at.astimezone(BUSINESS_TZ).date() + timedelta(days=template.valid_days)
        end = datetime.combine(last_day + timedelta(days=1), time(), BUSINESS_TZ).astimezone(timezone.utc)
    if template.valid_from is not None:
        start = max(start, as_utc(template.valid_from))
    if template.valid_until is not None:
        end = min(end, as_utc(template.valid_until)) if end else as_utc(template.valid_until)
    return start, end


def issue(member: Member, template_code: str, *, key: str, source: str = "manual",
          now: datetime | None = None) -> Coupon:
    """Issue one coupon of the template to the member, idempotent on `key`: the same key
    returns the first coupon (also when two requests race: the insert is ON CONFLICT DO
    NOTHING on the unique issue_key). Raises NotFound for an unknown template,
    ValidationError for an inactive one or one whose window has closed."""
    if source not in COUPON_SOURCES:
        raise ValueError(f"unknown coupon source {source!r}")
    first = _by_key(key)
    if first is None:
        now = utc(now)
        template = db.session.scalars(select(CouponTemplate).where(CouponTemplate.code == template_code)).first()
        if template is None:
            raise NotFound("优惠券不存在", code=template_code)
        if not template.active:
            raise ValidationError("该优惠券已停止发放", code=template_code)
        valid_from, valid_until = validity(template, now)
        if valid_until <= max(now, valid_from):
            raise ValidationError("该优惠券的有效期已过", code=template_code)
        dialect = db.session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Coupon)
        inserted = db.session.execute(insert.values(
            member_id=member.id, template_id=template.id, issued_at=now, valid_from=valid_from,
            valid_until=valid_until, status="issued", issue_key=key, source=source,
        ).on_conflict_do_nothing(index_elements=["issue_key"]).returning(Coupon.id)).first() is not None
        first = _by_key(key)
        if inserted:  # this transaction issued it: its notice goes with it
            from loyalty.notices import events
            events.coupon_issued(first, template.name, source)
    if first.member_id != member.id:
        raise DuplicateConflict("该发券请求号已用于其他会员", key=key)
    return first


def _by_key(key: str) -> Coupon | None:
    return db.session.scalars(select(Coupon).where(Coupon.issue_key == key)).first()


def usable(member: Member, station_code: str | None, now: datetime | None = None) -> list[Coupon]:
    """The member's coupons usable now at that station (None: any station), soonest to expire first."""
    now = utc(now)
    found = db.session.scalars(
        select(Coupon).where(Coupon.member_id == member.id, Coupon.status == "issued",
                             Coupon.valid_from <= now, Coupon.valid_until > now)
        .order_by(Coupon.valid_until, Coupon.id)).all()
    return [c for c in found if station_code is None or c.template.station_codes is None
            or station_code in c.template.station_codes]


def use(coupon_ids, member: Member, sale_id: int, *, now: datetime | None = None) -> list[Coupon]:
    """Mark the coupons used by the sale, each by one conditional UPDATE (issued, the member's,
    inside its window): of two sales racing for one coupon, exactly one gets it.

    A coupon already used by this same sale counts as done (a retried commit). Otherwise a
    coupon that is not usable raises CouponNotApplicable with the reason; the caller then
    rolls its transaction back, as the sale fails as a whole."""
    now, ids = utc(now), list(coupon_ids)
    if len(set(ids)) != len(ids):
        raise CouponNotApplicable("同一张券不能重复使用", reason="duplicate")
    if not ids:
        return []
    db.session.execute(
        update(Coupon).where(Coupon.id.in_(ids), Coupon.status == "issued", Coupon.member_id == member.id,
                             Coupon.valid_from <= now, Coupon.valid_until > now)
        .values(status="used", used_sale_id=sale_id, used_at=now)
        .execution_options(synchronize_session=False))
    found = db.session.scalars(select(Coupon).where(Coupon.id.in_(ids))
                               .execution_options(populate_existing=True)).all()
    if len(found) != len(ids):
        raise CouponNotApplicable("优惠券不存在", reason="not_found")
    for coupon in found:
        if coupon.status != "used" or coupon.used_sale_id != sale_id:
            check(coupon, member_id=member.id, at=now)
            raise CouponNotApplicable("优惠券已被使用", reason="used")  # lost a race just now
    return found


def restore(sale_id: int, *, policy: str = "restore_if_valid", now: datetime | None = None) -> list[int]:
    """Give back the coupons a refunded sale used; returns the ids put back.

    "restore_if_valid": a coupon still inside its window returns to issued; one whose window
    has closed stays used (it cannot be used any more, and the sale did use it).
    "keep": the refund gives no coupon back. Call it once, on a full refund."""
    if policy == "keep":
        return []
    if policy != "restore_if_valid":
        raise ValueError(f"unknown coupon restore policy {policy!r}")
    now = utc(now)
    where = and_(Coupon.used_sale_id == sale_id, Coupon.status == "used", Coupon.valid_until > now)
    ids = list(db.session.scalars(select(Coupon.id).where(where)))
    if ids:
        db.session.execute(update(Coupon).where(where, Coupon.id.in_(ids))
                           .values(status="issued", used_sale_id=None, used_at=None)
                           .execution_options(synchronize_session="fetch"))
    return ids


def expire_due(now: datetime | None = None) -> int:
    """Expire every issued coupon whose window has closed, in one UPDATE; returns how many."""
    result = db.session.execute(
        update(Coupon).where(Coupon.status == "issued", Coupon.valid_until <= utc(now))
        .values(status="expired").execution_options(synchronize_session=False))
    # Not fetched back row by row (the sweep may touch many); loaded coupons just reload.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Coupon):
            db.session.expire(obj)
    return result.rowcount


def counts(template_code: str, now: datetime | None = None) -> dict[str, int]:
    """Figures of one template in one GROUP BY: "issued" (all ever issued), "used", "expired"
    (swept or past its window), "void", and "outstanding" (still usable or not yet valid)."""
    now = utc(now)
    state = case((and_(Coupon.status == "issued", Coupon.valid_until <= now), "expired"), else_=Coupon.status)
    rows = db.session.execute(
        select(state, func.count()).join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
        .where(CouponTemplate.code == template_code).group_by(state)).all()
    by_state = {name: n for name, n in rows}
    return {"issued": sum(by_state.values()), "used": by_state.get("used", 0),
            "expired": by_state.get("expired", 0), "void": by_state.get("void", 0),
            "outstanding": by_state.get("issued", 0)}
