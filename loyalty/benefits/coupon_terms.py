"""What a coupon takes off a sale: whether the member may use it here and now (`check`),
and how much it takes off the priced lines and from which (`assess`, `discount`). Pure
functions of the coupon, its template and the lines, used by loyalty.till.pricing and by
loyalty.benefits.coupons when a sale uses the coupon; nothing is read or written here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.books.ledger import as_utc, utc
from loyalty.errors import CouponNotApplicable
from loyalty.policy import BUSINESS_TZ
from loyalty.till.pricing import fen_to_yuan, half_up, yuan
from models import Coupon, CouponTemplate


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
