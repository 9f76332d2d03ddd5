"""Points earned on a sale: the ruleset as plain values and `evaluate`, a pure function of
a sale, a member and a ruleset (the rule book is docs/rules.md).

What earns. A per_litre rule counts the line's millilitres, whatever was paid. A
per_amount or per_category rule counts the line's `amount_fen` *after every discount*
(tier price, coupons): what the member pays for that line, from stored value or not.
Each line earns by one rule only, the most specific: a fuel line by its grade's
per_litre rule, else per_amount "fuel", else per_amount "all"; a shop line by its
category's per_category rule, else per_amount "shop", else per_amount "all".

Rounding. Everything stays an exact Fraction until the end and is floored once. The
breakdown lines are differences of the floored running total, so they add up to the
total exactly and the rounding lands on the line where the running total crossed it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import NamedTuple

from loyalty.policy import BUSINESS_TZ
from models.rule import MultiplierKind


def grade_code(raw) -> str:
    """A fuel grade as stored: "92#", 92 and "92" are all "92"."""
    return str(raw).strip().removesuffix("#")


def format_decimal(value: Decimal) -> str:
    """1.500 -> "1.5", 2.000 -> "2" (no exponent, no trailing zeros)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class FuelLine:
    grade: str
    litres_ml: int
    amount_fen: int  # after discounts


@dataclass(frozen=True)
class ShopLine:
    category: str | None
    amount_fen: int  # after discounts


@dataclass(frozen=True)
class SaleFacts:
    at: datetime  # timezone-aware; member day and birthday are judged in business time
    station_code: str | None
    lines: list[FuelLine | ShopLine]


@dataclass(frozen=True)
class MemberFacts:
    tier_code: str | None = None
    identity: str = "private"
    birthday: date | None = None


@dataclass(frozen=True)
class EarnRule:
    """`points` per `per` units: millilitres for per_litre, fen for the other kinds."""
    kind: str  # per_amount | per_litre | per_category
    label: str
    points: int
    per: int
    applies_to: str = "all"  # per_amount: all | fuel | shop
    grade: str | None = None  # per_litre
    category: str | None = None  # per_category


@dataclass(frozen=True)
class Multiplier:
    kind: MultiplierKind  # a plain string is accepted and converted (ValueError when unknown)
    label: str
    factor: Decimal
    tiers: frozenset[str] = frozenset()
    identities: frozenset[str] = frozenset()
    weekdays: frozenset[int] = frozenset()  # ISO: 1 = Monday .. 7 = Sunday
    start_minute: int = 0  # business-time window in the day, end exclusive
    end_minute: int = 1440
    birthday_scope: str = "day"  # day | month
    starts_at: datetime | None = None  # campaign window, end exclusive
    ends_at: datetime | None = None
    stations: frozenset[str] | None = None  # campaign scope; None: every station

    def __post_init__(self):
        object.__setattr__(self, "kind", MultiplierKind(self.kind))

    def applies(self, sale: SaleFacts, member: MemberFacts) -> bool:
        """Whether this multiplier's condition holds for this sale and member."""
        local = sale.at.astimezone(BUSINESS_TZ)
        if self.kind is MultiplierKind.TIER:
            return member.tier_code in self.tiers
        if self.kind is MultiplierKind.IDENTITY:
            return member.identity in self.identities
        if self.kind is MultiplierKind.WEEKDAY:
            minute = local.hour * 60 + local.minute
            return local.isoweekday() in self.weekdays and self.start_minute <= minute < self.end_minute
        if self.kind is MultiplierKind.BIRTHDAY:
            return member.birthday is not None and _is_birthday(member.birthday, local.date(), self.birthday_scope)
        if self.kind is MultiplierKind.CAMPAIGN:
            return ((self.starts_at is None or self.starts_at <= sale.at)
                    and (self.ends_at is None or sale.at < self.ends_at)
                    and (self.stations is None or sale.station_code in self.stations))
        raise ValueError(f"unknown multiplier kind {self.kind!r}")


def _is_birthday(birthday: date, today: date, scope: str) -> bool:
    if scope == "month":
        return birthday.month == today.month
    # A 29 February birthday is kept on the 28th in other years.
    day = birthday.day
    if birthday.month == 2 and day == 29 and not _leap(today.year):
        day = 28
    return (birthday.month, day) == (today.month, today.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@dataclass(frozen=True)
class Ruleset:
    earning: tuple[EarnRule, ...] = ()
    multipliers: tuple[Multiplier, ...] = ()  # tier multipliers first, then the file's order
    stacking: str = "multiply"  # multiply | best_of
    cap_per_sale: int | None = None
    cap_per_day: int | None = None
    name: str = ""


class BreakdownLine(NamedTuple):
    label: str
    points: int


@dataclass(frozen=True)
class PointsBreakdown:
    total: int
    lines: list[BreakdownLine] = field(default_factory=list)


def _rule_for(line: FuelLine | ShopLine, rules: tuple[EarnRule, ...]) -> EarnRule | None:
    if isinstance(line, FuelLine):
        grade = grade_code(line.grade)
        tests = [lambda r: r.kind == "per_litre" and r.grade == grade,
                 lambda r: r.kind == "per_amount" and r.applies_to == "fuel"]
    else:
        tests = [lambda r: r.kind == "per_category" and r.category == line.category,
                 lambda r: r.kind == "per_amount" and r.applies_to == "shop"]
    tests.append(lambda r: r.kind == "per_amount" and r.applies_to == "all")
    for test in tests:
        for rule in rules:
            if test(rule):
                return rule
    return None


def evaluate(sale: SaleFacts, member: MemberFacts, *, earned_today: int = 0,
             ruleset: Ruleset | None = None) -> PointsBreakdown:
    """The points this sale earns this member, with a breakdown a member can read: base
    points per rule, each multiplier's extra points, then caps as negative lines.
    `earned_today`: points the member already earned today (business day), for the day cap.
    Without `ruleset`, the active one from the database (current_ruleset())."""
    if sale.at.tzinfo is None:
        raise ValueError("SaleFacts.at must be timezone-aware")
    rules = ruleset if ruleset is not None else current_ruleset()
    units: dict[EarnRule, int] = {}
    for line in sale.lines:
        rule = _rule_for(line, rules.earning)
        if rule is not None:
            amount = line.litres_ml if rule.kind == "per_litre" else line.amount_fen
            units[rule] = units.get(rule, 0) + amount
    steps: list[tuple[str, Fraction]] = []  # (label, running total after this step)
    running = Fraction(0)
    for rule in rules.earning:  # the rule book's order, not the lines'
        if rule in units:
            running += Fraction(units[rule] * rule.points, rule.per)
            steps.append((rule.label, running))
    applicable = [m for m in rules.multipliers if m.factor != 1 and m.applies(sale, member)]
    if rules.stacking == "best_of" and applicable:
        applicable = [max(applicable, key=lambda m: m.factor)]  # max keeps the first of equals
    for multiplier in applicable:
        running *= Fraction(multiplier.factor)
        steps.append((multiplier.label, running))
    if rules.cap_per_sale is not None and running > rules.cap_per_sale:
        running = Fraction(rules.cap_per_sale)
        steps.append((f"单笔封顶{rules.cap_per_sale}分", running))
    if rules.cap_per_day is not None:
        left_today = Fraction(max(0, rules.cap_per_day - earned_today))
        if running > left_today:
            running = left_today
            steps.append((f"每日封顶{rules.cap_per_day}分", running))
    lines, shown = [], 0
    for label, value in steps:
        points = floor(value) - shown
        shown += points
        if points:
            lines.append(BreakdownLine(label, points))
    return PointsBreakdown(total=shown, lines=lines)


def current_ruleset() -> Ruleset:
    """The active ruleset (tier multipliers from the tiers), from the process's cached
    reference data (loyalty.reference), read again whenever a rule or a tier changed."""
    from loyalty import reference
    return reference.current().ruleset
