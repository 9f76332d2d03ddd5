"""Pricing a sale: the gross, the discounts in one fixed order, and what is left to pay.

A pure function of its arguments (no database): the caller passes the member's tier,
the member-day rule and the coupon objects (with their templates loaded).

Arithmetic, in integers only:
- a fuel line's gross = litres_ml x unit_price_fen / 1000, rounded half up to the fen,
  each line on its own (the pump rounds the same way); a shop line's gross is its amount;
- every per-litre discount = per_litre_fen x litres_ml / 1000, rounded half up per line;
- a discount never takes a line below zero: each is capped at what is left on its lines.

The order, always the same:
1. the tier's per-litre discount on every fuel line (金卡直降 0.30元/升);
2. the member-day per-litre discount, when `at` falls on a member day (会员日直降);
3. the coupons, in the order given; each sees the amounts left after the steps before it
   (so a minimum spend is measured after steps 1-2 and after earlier coupons).

Each discount is spread over the lines it concerns (pro rata to what is left on them,
largest remainder, so the shares add up exactly), and every line ends with `paid_fen`:
the points engine awards points on what was actually paid per line.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import ClassVar, NamedTuple, Sequence

from loyalty.errors import CouponNotApplicable, ValidationError
from loyalty.policy import BUSINESS_TZ


@dataclass(frozen=True)
class FuelLine:
    grade: str
    litres_ml: int
    unit_price_fen: int
    # The pump's own amount, when the POS sends it: it is then the gross of the line.
    amount_fen: int | None = None
    # The POS says its unit price differs from the station's price list on purpose (a
    # price change at the pump not yet in Youka, a contract price): see loyalty.till.price_list.
    price_override: bool = False
    kind: ClassVar[str] = "fuel"
    category: ClassVar[None] = None
    sku: ClassVar[None] = None


@dataclass(frozen=True)
class ShopLine:
    category: str
    amount_fen: int
    sku: str | None = None
    kind: ClassVar[str] = "shop"
    grade: ClassVar[None] = None
    litres_ml: ClassVar[int] = 0


@dataclass
class PricedLine:
    """A line while it is being priced: `amount_fen` is what is left to pay on it so far."""
    line: FuelLine | ShopLine
    gross_fen: int
    amount_fen: int

    def __getattr__(self, name):  # kind, grade, litres_ml, category, sku come from the line
        if name.startswith("__") or name == "line":  # copy and pickle probe before `line` is set
            raise AttributeError(name)
        return getattr(self.line, name)


@dataclass(frozen=True)
class MemberDay:
    """The member-day rule: on these ISO weekdays (1 Monday .. 7 Sunday, business time),
    `per_litre_fen` off every litre of the given grades (None: every grade)."""
    per_litre_fen: int
    weekdays: frozenset[int] = frozenset({2})
    grades: frozenset[str] | None = None

    @classmethod
    def from_policy(cls, policy) -> "MemberDay | None":
        """The rule a Policy configures (member_day_weekdays, member_day_per_litre_fen);
        None when it gives no per-litre cut."""
        if policy.member_day_per_litre_fen <= 0:
            return None
        return cls(per_litre_fen=policy.member_day_per_litre_fen, weekdays=frozenset(policy.member_day_weekdays))

    def applies(self, at: datetime) -> bool:
        """True when `at` falls on a member day in Asia/Shanghai."""
        return self.per_litre_fen > 0 and at.astimezone(BUSINESS_TZ).isoweekday() in self.weekdays


class Discount(NamedTuple):
    label: str
    amount_fen: int
    coupon_id: int | None = None


@dataclass(frozen=True)
class QuotedLine:
    line: FuelLine | ShopLine
    gross_fen: int
    discount_fen: int
    paid_fen: int


@dataclass(frozen=True)
class Quote:
    gross_fen: int
    discounts: tuple[Discount, ...]
    payable_fen: int
    litres_ml: int
    lines: tuple[QuotedLine, ...]

    @property
    def discount_fen(self) -> int:
        """All discounts together."""
        return self.gross_fen - self.payable_fen

    @property
    def coupon_ids(self) -> list[int]:
        """The coupons this quote applied, in order: what the sale must mark used."""
        return [d.coupon_id for d in self.discounts if d.coupon_id is not None]


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def fuel_amount_fen(litres_ml: int, unit_price_fen: int) -> int:
    """What litres_ml at unit_price_fen a litre cost, rounded half up to the fen."""
    return half_up(litres_ml * unit_price_fen, 1000)


def yuan(amount: int, scale: int = 100) -> str:
    """20000 -> "200", 2050 -> "20.5": an amount in fen (or litres in ml with scale 1000)
    as shown in a label, without trailing zeros (exact: Decimal, never float)."""
    return str(Decimal(amount) / Decimal(scale))


def fen_to_yuan(fen: int) -> str:
    """30650 -> "306.50", 30 -> "0.30", -1200 -> "-12.00": always two decimals, as on a
    price board or a receipt."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """`amount` split in proportion to `weights`, in whole fen that add up exactly.

    Largest remainder: everyone gets the floor of their share, and the fen left over go
    to the largest fractional parts (the earlier line on a tie)."""
    total = sum(weights)
    if amount == 0:
        return [0] * len(weights)
    if total <= 0 or amount < 0:
        raise ValueError("nothing to allocate the amount to")
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:amount - sum(shares)]:
        shares[i] += 1
    return shares


def quote(lines: Sequence[FuelLine | ShopLine], *, tier=None, member_day: MemberDay | None = None,
          coupons: Sequence = (), station_code: str | None = None, at: datetime | None = None,
          member_id: int | None = None) -> Quote:
    """Price a sale in the documented order and return the Quote.

    `tier` is anything with `name` and `per_litre_discount_fen` (a Tier), or None;
    `member_day` a MemberDay (see MemberDay.from_policy) or None (not a member, or no
    member-day cut configured); `coupons` Coupon objects with their templates, applied
    in this order; `member_id`, when given, must own each coupon. Raises
    CouponNotApplicable (with `details["reason"]`) when a coupon cannot be used,
    ValidationError on a malformed line (negative, or not an integer)."""
    # Imported here, not at the top: loyalty.benefits.coupons builds on this module's arithmetic.
    from loyalty.benefits import coupon_terms
    at = at or datetime.now(timezone.utc)
    priced = [_priced(line) for line in lines]
    discounts: list[Discount] = []

    def apply(label: str, per_line: list[int], coupon_id: int | None = None) -> None:
        """Take per_line[i] off line i and list the discount (a zero one is not listed)."""
        for p, d in zip(priced, per_line):
            p.amount_fen -= d
        if sum(per_line):
            discounts.append(Discount(label, sum(per_line), coupon_id))

    if tier is not None and tier.per_litre_discount_fen > 0:
        apply(f"{tier.name}直降 {fen_to_yuan(tier.per_litre_discount_fen)}元/升",
              _per_litre(priced, tier.per_litre_discount_fen, None))
    if member_day and member_day.applies(at):
        apply(f"会员日直降 {fen_to_yuan(member_day.per_litre_fen)}元/升",
              _per_litre(priced, member_day.per_litre_fen, member_day.grades))
    _check_stacking(coupons)
    for coupon in coupons:
        left = sum(p.amount_fen for p in priced)
        found = coupon_terms.assess(coupon, priced, left, station_code=station_code,
                                    member_id=member_id, at=at)
        apply(found.label, allocate(found.amount_fen, found.weights), coupon.id)

    gross = sum(p.gross_fen for p in priced)
    payable = sum(p.amount_fen for p in priced)
    return Quote(gross_fen=gross, discounts=tuple(discounts), payable_fen=payable,
                 litres_ml=sum(p.litres_ml for p in priced),
                 lines=tuple(QuotedLine(p.line, p.gross_fen, p.gross_fen - p.amount_fen, p.amount_fen)
                             for p in priced))


def _count(value) -> bool:
    # Integers only: a float litre or fen is refused, never rounded.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _priced(line) -> PricedLine:
    if isinstance(line, FuelLine):
        if not (_count(line.litres_ml) and _count(line.unit_price_fen) and line.unit_price_fen > 0
                and (line.amount_fen is None or _count(line.amount_fen))):
            raise ValidationError("油品行的升数或单价有误", line=repr(line))
        gross = line.amount_fen if line.amount_fen is not None else fuel_amount_fen(line.litres_ml,
                                                                                    line.unit_price_fen)
    elif isinstance(line, ShopLine):
        if not _count(line.amount_fen):
            raise ValidationError("商品行的金额有误", line=repr(line))
        gross = line.amount_fen
    else:
        raise ValidationError("未知的商品行", line=repr(line))
    return PricedLine(line, gross, gross)


def _per_litre(priced: list[PricedLine], per_litre_fen: int, grades) -> list[int]:
    return [min(half_up(per_litre_fen * p.litres_ml, 1000), p.amount_fen)
            if p.kind == "fuel" and (grades is None or p.grade in grades) else 0
            for p in priced]


def _check_stacking(coupons: Sequence) -> None:
    ids = [c.id for c in coupons]
    if len(set(ids)) != len(ids):
        raise CouponNotApplicable("同一张券不能重复使用", reason="duplicate")
    # A non-stackable coupon is the only coupon of its sale (tier and member-day
    # discounts are member prices, not coupons, and still apply).
    if len(coupons) > 1 and any(not c.template.stackable for c in coupons):
        raise CouponNotApplicable("该券不可与其他优惠券同时使用", reason="not_stackable")
