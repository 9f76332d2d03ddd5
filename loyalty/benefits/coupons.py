"""Coupons: issuing, listing, using, giving back on refund, expiring, counting.

A coupon is valid while valid_from <= now < valid_until (UTC, end exclusive). Its status
moves issued -> used (by a sale) or issued -> expired (by the sweep); a refund may move
used -> issued again (see `restore`). What a coupon takes off a sale (`check`, `assess`,
`discount`) is pure, used by loyalty.till.pricing. Everything flushes, never commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from loyalty.errors import CouponNotApplicable, DuplicateConflict, NotFound, ValidationError
from loyalty.books.ledger import as_utc, utc
from loyalty.policy import BUSINESS_TZ
from loyalty.till.pricing import fen_to_yuan, half_up, yuan
from models import Coupon, CouponTemplate, Member
from models.coupon import COUPON_SOURCES

__all__ = ["issue", "validity", "usable", "use", "restore", "expire_due", "counts",
           "check", "assess", "discount", "Assessment"]


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
        db.session.execute(insert.values(
            member_id=member.id, template_id=template.id, issued_at=now, valid_from=valid_from,
            valid_until=valid_until, status="issued", issue_key=key, source=source,
        ).on_conflict_do_nothing(index_elements=["issue_key"]))
        first = _by_key(key)
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


@dataclass(frozen=True)
class Assessment:
    """What one coupon takes off: a label, the amount, and per line the weight by which
    pricing spreads the amount over the lines (0: the line is not concerned)."""
    label: str
    amount_fen: int
    weights: list[int]


def _no(message: str, reason: str, **details):
    raise CouponNotApplicable(message, reason=reason, **details)


def check(coupon: Coupon, *, station_code: str | None = None, member_id: int | None = None,
          at: datetime | None = None) -> None:
    """Raise CouponNotApplicable (details["reason"]: not_yours, used, void, expired,
    not_yet_valid, wrong_station) unless the member may use the coupon here, at `at`."""
    at = utc(at)
    if member_id is not None and coupon.member_id != member_id:
        _no("这张券不属于您", "not_yours")
    if coupon.status == "used":
        _no("这张券已使用", "used")
    if coupon.status == "void":
        _no("这张券已作废", "void")
    if coupon.status == "expired" or at >= as_utc(coupon.valid_until):
        _no("这张券已过期", "expired")
    if at < as_utc(coupon.valid_from):
        _no(f"这张券{as_utc(coupon.valid_from).astimezone(BUSINESS_TZ):%Y-%m-%d}起可用", "not_yet_valid")
    stations = coupon.template.station_codes
    if stations is not None and station_code not in stations:
        _no("这张券不能在本站使用", "wrong_station", station=station_code)


def assess(coupon: Coupon, lines, amount_so_far_fen: int, *, station_code: str | None = None,
           member_id: int | None = None, at: datetime | None = None) -> Assessment:
    """What the coupon takes off the priced lines (each with kind, grade, litres_ml,
    category, sku and `amount_fen` left to pay), never more than `amount_so_far_fen`.

    The lines a coupon counts: with grades, the fuel lines of those grades (none: reason
    wrong_grade); per_litre_off without grades, every fuel line; otherwise every line. The
    minimum spend is measured on what is left on those lines. Raises CouponNotApplicable
    with the reason (see `check`; also min_spend, wrong_grade, no_fuel, no_item,
    bundle_not_met, nothing_to_discount)."""
    check(coupon, station_code=station_code, member_id=member_id, at=at)
    t = coupon.template
    base = _counted(t, lines)
    base_fen, min_spend = sum(lines[i].amount_fen for i in base), t.min_spend_fen or 0
    if base_fen < min_spend:
        _no(f"满{yuan(min_spend)}元可用，本单还差{yuan(min_spend - base_fen)}元", "min_spend")
    weights = [0] * len(lines)
    if t.kind in ("amount_off", "percent_off"):
        for i in base:
            weights[i] = lines[i].amount_fen
        if t.kind == "amount_off":
            amount = min(t.amount_fen, base_fen)
            label = f"满{yuan(min_spend)}减{yuan(t.amount_fen)}" if min_spend else f"立减{yuan(t.amount_fen)}元"
        else:
            amount = min(half_up(base_fen * t.percent_bp, 10000), t.cap_fen or base_fen)
            label = f"{yuan(10000 - t.percent_bp, 1000)}折券" + (f"（最高减{yuan(t.cap_fen)}元）" if t.cap_fen else "")
    elif t.kind == "per_litre_off":
        for i in base:  # per line, as the tier discount, so each line's share is exact
            weights[i] = min(half_up(t.per_litre_fen * lines[i].litres_ml, 1000), lines[i].amount_fen)
        amount = sum(weights)
        label = f"{_grades_text(t.grade_codes)}直降券 {fen_to_yuan(t.per_litre_fen)}元/升"
    elif t.kind == "free_item":
        matches = [i for i, line in enumerate(lines) if line.kind == "shop" and line.amount_fen > 0
                   and (line.sku == t.item_sku if t.item_sku else line.category == t.item_category)]
        if not matches:
            _no(f"本单没有可用「{t.name}」免单的商品", "no_item")
        weights[matches[0]] = lines[matches[0]].amount_fen
        amount = min(weights[matches[0]], t.cap_fen or weights[matches[0]])
        label = t.name
    else:  # bundle: fuel and shop bought together
        fuel_ml = sum(lines[i].litres_ml for i in base if lines[i].kind == "fuel")
        shop = [i for i, line in enumerate(lines) if line.kind == "shop"]
        shop_fen = sum(lines[i].amount_fen for i in shop)
        if fuel_ml < (t.bundle_min_litres_ml or 0) or shop_fen < (t.bundle_min_shop_fen or 0):
            _no(f"加油满{yuan(t.bundle_min_litres_ml or 0, 1000)}升且便利店消费满"
                f"{yuan(t.bundle_min_shop_fen or 0)}元可用", "bundle_not_met")
        for i in set(base) | set(shop):
            weights[i] = lines[i].amount_fen
        amount = min(t.amount_fen, sum(weights))
        label = f"加油+便利店减{yuan(t.amount_fen)}元"
    amount = min(amount, amount_so_far_fen)
    if amount <= 0:
        _no("本单已无可优惠的金额", "nothing_to_discount")
    return Assessment(label, amount, weights)


def _counted(t: CouponTemplate, lines) -> list[int]:
    grades = t.grade_codes
    if grades is not None:
        found = [i for i, line in enumerate(lines) if line.kind == "fuel" and line.grade in grades]
        if not found:
            _no(f"本券仅限{_grades_text(grades)}使用", "wrong_grade")
        return found
    if t.kind == "per_litre_off":
        found = [i for i, line in enumerate(lines) if line.kind == "fuel"]
        if not found:
            _no("本券仅限加油使用", "no_fuel")
        return found
    return list(range(len(lines)))


def _grades_text(grades) -> str:
    if not grades:
        return ""
    return "、".join(g if g.endswith("#") else f"{g}#" for g in sorted(grades))


def discount(coupon: Coupon, lines, amount_so_far_fen: int, **where) -> tuple[str, int]:
    """(label, amount_fen) the coupon takes off, or CouponNotApplicable with the reason
    (min spend not met, wrong station, wrong grade, expired, used, not yours, ...).
    Keywords as `assess`: station_code, member_id, at."""
    found = assess(coupon, lines, amount_so_far_fen, **where)
    return found.label, found.amount_fen
