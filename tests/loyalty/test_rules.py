"""The station's rule book, as worked examples: a member, a sale, the points.

Pure: the ruleset is built from a dict shaped like the rules file, no database.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.policy import BUSINESS_TZ
from loyalty.rules.engine import FuelLine, MemberFacts, Multiplier, Ruleset, SaleFacts, ShopLine, evaluate
from loyalty.rules.schema import parse_document

TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=BUSINESS_TZ)
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=BUSINESS_TZ)
TIER_MULTIPLIERS = (Multiplier("tier", "金卡 1.5倍", Decimal("1.5"), tiers=frozenset({"gold"})),
                    Multiplier("tier", "钻石 2倍", Decimal("2"), tiers=frozenset({"diamond"})))
BOOK = {
    "earning": [
        {"kind": "per_litre", "grade": "92", "points": 1, "per_ml": 1000, "label": "92# 每升1分"},
        {"kind": "per_litre", "grade": "98", "points": 3, "per_ml": 2000, "label": "98# 每升1.5分"},
        {"kind": "per_litre", "grade": "0", "points": 1, "per_ml": 2000, "label": "0# 每2升1分"},
        {"kind": "per_category", "category": "drinks", "points": 1, "per_fen": 1000, "label": "饮料 每10元1分"},
        {"kind": "per_amount", "applies_to": "shop", "points": 10, "per_fen": 10000, "label": "便利店 每100元10分"},
    ],
    "multipliers": [
        {"kind": "weekday", "weekdays": [2], "factor": 2, "label": "周二会员日 2倍"},
        {"kind": "birthday", "scope": "day", "factor": 2, "label": "生日 2倍"},
    ],
}


def book(**changes) -> Ruleset:
    """The rule book above with some sections changed, plus the tier multipliers."""
    ruleset = parse_document({**BOOK, **changes}).ruleset
    return Ruleset(earning=ruleset.earning, multipliers=TIER_MULTIPLIERS + ruleset.multipliers,
                   stacking=ruleset.stacking, cap_per_sale=ruleset.cap_per_sale, cap_per_day=ruleset.cap_per_day)


def fuel(grade: str, litres: str, at: datetime = WEDNESDAY, station: str = "S001", price_fen: int = 800) -> SaleFacts:
    ml = int(Decimal(litres) * 1000)
    return SaleFacts(at=at, station_code=station, lines=[FuelLine(grade, ml, ml * price_fen // 1000)])


NORMAL = MemberFacts(tier_code="normal")
GOLD_BORN_24_NOV = MemberFacts(tier_code="gold", birthday=date(1990, 11, 24))


def test_92_earns_one_point_per_litre():
    result = evaluate(fuel("92", "40"), NORMAL, ruleset=book())
    assert result.total == 40
    assert result.lines == [("92# 每升1分", 40)]


def test_diesel_earns_one_point_per_two_litres_rounded_down():
    assert evaluate(fuel("0", "45"), NORMAL, ruleset=book()).total == 22


def test_98_earns_three_points_per_two_litres():
    assert evaluate(fuel("98#", "41"), NORMAL, ruleset=book()).total == 61  # 61.5, floored once


def test_litres_of_one_grade_add_up_before_rounding():
    sale = SaleFacts(WEDNESDAY, "S001", [FuelLine("0", 1500, 1200), FuelLine("0", 500, 400)])
    assert evaluate(sale, NORMAL, ruleset=book()).total == 1  # 0.75 + 0.25, not 0 + 0


def test_shop_earns_ten_points_per_hundred_yuan_of_what_was_paid():
    sale = SaleFacts(WEDNESDAY, "S001", [ShopLine("snacks", 25000)])
    assert evaluate(sale, NORMAL, ruleset=book()).lines == [("便利店 每100元10分", 25)]
    after_coupon = SaleFacts(WEDNESDAY, "S001", [ShopLine("snacks", 9999)])
    assert evaluate(after_coupon, NORMAL, ruleset=book()).total == 9


def test_a_category_rule_takes_its_lines_away_from_the_shop_rule():
    sale = SaleFacts(WEDNESDAY, "S001", [ShopLine("drinks", 5000), ShopLine("snacks", 5000)])
    assert evaluate(sale, NORMAL, ruleset=book()).lines == [("饮料 每10元1分", 5), ("便利店 每100元10分", 5)]


def test_a_line_no_rule_covers_earns_nothing():
    assert evaluate(fuel("95", "30"), NORMAL, ruleset=book()).total == 0


def test_an_amount_rule_for_all_lines_covers_what_nothing_more_specific_does():
    ruleset = book(earning=BOOK["earning"] + [
        {"kind": "per_amount", "points": 1, "per_fen": 1000, "label": "每10元1分"}])
    assert evaluate(fuel("95", "30"), NORMAL, ruleset=ruleset).lines == [("每10元1分", 24)]
    assert evaluate(fuel("92", "30"), NORMAL, ruleset=ruleset).lines == [("92# 每升1分", 30)]


def test_gold_member_on_tuesday_her_birthday_multiplies_everything():
    result = evaluate(fuel("92", "40", at=TUESDAY), GOLD_BORN_24_NOV, ruleset=book())
    assert result.total == 240  # 40 x 1.5 x 2 x 2
    assert result.lines == [("92# 每升1分", 40), ("金卡 1.5倍", 20), ("周二会员日 2倍", 60), ("生日 2倍", 120)]


def test_best_of_takes_only_the_largest_multiplier():
    result = evaluate(fuel("92", "40", at=TUESDAY), GOLD_BORN_24_NOV, ruleset=book(stacking="best_of"))
    assert result.total == 80  # 40 x 2
    assert result.lines == [("92# 每升1分", 40), ("周二会员日 2倍", 40)]


def test_a_one_times_tier_shows_no_line():
    ruleset = book()
    assert evaluate(fuel("92", "40"), MemberFacts(tier_code="silver"), ruleset=ruleset).lines == [("92# 每升1分", 40)]


def test_member_day_is_judged_in_shanghai_time():
    monday_night_utc = datetime.fromisoformat("2026-11-23T23:30:00+00:00")  # Tuesday 07:30 in Shanghai
    assert evaluate(fuel("92", "10", at=monday_night_utc), NORMAL, ruleset=book()).total == 20


def test_a_member_day_time_window_starts_inclusive_and_ends_exclusive():
    ruleset = book(multipliers=[{"kind": "weekday", "weekdays": ["周二"], "from": "06:00", "to": "09:00",
                                 "factor": 2, "label": "周二早高峰 2倍"}])
    at = lambda hhmm: datetime.fromisoformat(f"2026-11-24T{hhmm}:00+08:00")
    assert [evaluate(fuel("92", "10", at=at(t)), NORMAL, ruleset=ruleset).total
            for t in ("05:59", "06:00", "08:59", "09:00")] == [10, 20, 20, 10]


def test_birthday_by_month_and_a_leap_day_birthday_in_other_years():
    month = book(multipliers=[{"kind": "birthday", "scope": "month", "factor": 2, "label": "生日月 2倍"}])
    born_in_november = MemberFacts(birthday=date(1985, 11, 2))
    assert evaluate(fuel("92", "10"), born_in_november, ruleset=month).total == 20
    leap = MemberFacts(birthday=date(2000, 2, 29))
    feb_28 = datetime(2027, 2, 28, 12, tzinfo=BUSINESS_TZ)
    assert evaluate(fuel("92", "10", at=feb_28), leap, ruleset=book()).total == 20


def test_taxi_drivers_earn_their_identity_multiplier():
    ruleset = book(multipliers=[{"kind": "identity", "identities": ["taxi", "ride_hailing"], "factor": "1.2",
                                 "label": "出租车 1.2倍"}])
    assert evaluate(fuel("92", "50"), MemberFacts(identity="taxi"), ruleset=ruleset).total == 60
    assert evaluate(fuel("92", "50"), MemberFacts(identity="private"), ruleset=ruleset).total == 50


def test_a_campaign_counts_inside_its_window_at_its_stations_only():
    ruleset = book(multipliers=[{"kind": "campaign", "starts_at": "2026-12-01", "ends_at": "2026-12-08",
                                 "stations": ["S001"], "factor": 3, "label": "新站开业 3倍"}])
    opening = datetime(2026, 12, 1, 0, 0, tzinfo=BUSINESS_TZ)
    assert evaluate(fuel("92", "10", at=opening), NORMAL, ruleset=ruleset).lines == [
        ("92# 每升1分", 10), ("新站开业 3倍", 20)]
    assert evaluate(fuel("92", "10", at=opening, station="S002"), NORMAL, ruleset=ruleset).total == 10
    assert evaluate(fuel("92", "10", at=datetime(2026, 12, 8, tzinfo=BUSINESS_TZ)), NORMAL, ruleset=ruleset).total == 10
    assert evaluate(fuel("92", "10", at=datetime(2026, 11, 30, 23, 59, tzinfo=BUSINESS_TZ)), NORMAL,
                    ruleset=ruleset).total == 10


def test_the_per_sale_cap_shows_as_a_negative_line():
    result = evaluate(fuel("92", "600"), NORMAL, ruleset=book(caps={"per_sale": 500}))
    assert result.total == 500
    assert result.lines == [("92# 每升1分", 600), ("单笔封顶500分", -100)]


def test_the_day_cap_counts_what_the_member_already_earned_today():
    ruleset = book(caps={"per_day": 1000})
    result = evaluate(fuel("92", "300"), NORMAL, earned_today=900, ruleset=ruleset)
    assert result.total == 100
    assert result.lines == [("92# 每升1分", 300), ("每日封顶1000分", -200)]
    assert evaluate(fuel("92", "300"), NORMAL, earned_today=1200, ruleset=ruleset).total == 0


def test_caps_apply_after_the_multipliers():
    ruleset = book(caps={"per_sale": 100})
    result = evaluate(fuel("92", "40", at=TUESDAY), GOLD_BORN_24_NOV, ruleset=ruleset)
    assert result.total == 100
    assert result.lines[-1] == ("单笔封顶100分", -140)


def test_rounding_lands_on_one_line_and_the_breakdown_adds_up():
    sale = SaleFacts(WEDNESDAY, "S001", [FuelLine("0", 45000, 32000), FuelLine("98", 41000, 36000)])
    result = evaluate(sale, MemberFacts(tier_code="gold"), ruleset=book())
    assert result.total == floor((Fraction(45, 2) + Fraction(123, 2)) * Fraction(3, 2))  # 126
    # In the rule book's order: 61.5 shows as 61, then the running 84 makes diesel's 22.5 show as 23.
    assert result.lines == [("98# 每升1.5分", 61), ("0# 每2升1分", 23), ("金卡 1.5倍", 42)]
    assert sum(points for _, points in result.lines) == result.total


def test_a_sale_time_without_a_zone_is_refused():
    with pytest.raises(ValueError):
        evaluate(fuel("92", "10", at=datetime(2026, 11, 24, 10)), NORMAL, ruleset=book())


lines = st.lists(st.one_of(
    st.builds(FuelLine, st.sampled_from(["92", "95", "98", "0"]), st.integers(0, 200_000), st.integers(0, 200_000)),
    st.builds(ShopLine, st.sampled_from(["drinks", "snacks", None]), st.integers(0, 100_000))), max_size=5)


@settings(max_examples=200, deadline=None)
@given(lines=lines, tier=st.sampled_from(["normal", "gold", "diamond"]),
       stacking=st.sampled_from(["multiply", "best_of"]), per_sale=st.none() | st.integers(0, 400), per_day=st.none() | st.integers(0, 800),
       earned=st.integers(0, 1000), hour=st.integers(0, 23))
def test_the_breakdown_always_adds_up_to_the_total(lines, tier, stacking, per_sale, per_day, earned, hour):
    ruleset = book(stacking=stacking, caps={"per_sale": per_sale, "per_day": per_day})
    sale = SaleFacts(TUESDAY.replace(hour=hour), "S001", lines)
    result = evaluate(sale, MemberFacts(tier_code=tier, birthday=date(1990, 11, 24)), earned_today=earned,
                      ruleset=ruleset)
    assert sum(points for _, points in result.lines) == result.total >= 0
    assert all(points != 0 for _, points in result.lines)
    if per_sale is not None:
        assert result.total <= per_sale
    if per_day is not None:
        assert result.total <= max(0, per_day - earned)
