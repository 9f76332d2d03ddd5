"""Pricing, as worked examples: no database, just tiers, member days and coupon objects."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from loyalty.benefits import coupon_terms
from loyalty.errors import CouponNotApplicable, ValidationError
from loyalty.policy import Policy
from loyalty.till.pricing import FuelLine, MemberDay, ShopLine, allocate, fuel_amount_fen, quote
from models import Coupon, CouponTemplate

TUESDAY = datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc)    # 10:00 in Shanghai
WEDNESDAY = datetime(2026, 3, 4, 2, 0, tzinfo=timezone.utc)
GOLD = SimpleNamespace(name="金卡", per_litre_discount_fen=30)
MEMBER_DAY = MemberDay(per_litre_fen=10, weekdays=frozenset({2}))
FORTY_LITRES_92 = FuelLine("92", 40_000, 765)
MEMBER = 7


def coupon(kind="amount_off", *, id=1, member_id=MEMBER, status="issued", stackable=True, **template) -> Coupon:
    """A coupon object as the sale would load it (never saved: pricing needs no database)."""
    defaults = dict(code=f"T{id}", name="券", min_spend_fen=0, stackable=stackable, active=True)
    return Coupon(id=id, member_id=member_id, status=status,
                  template=CouponTemplate(kind=kind, **{**defaults, **template}),
                  valid_from=TUESDAY - timedelta(days=1), valid_until=TUESDAY + timedelta(days=7))


def reason(excinfo) -> str:
    return excinfo.value.details["reason"]


def test_gold_member_on_member_day_with_a_200_minus_20_coupon():
    q = quote([FORTY_LITRES_92], tier=GOLD, member_day=MEMBER_DAY, station_code="S1", at=TUESDAY,
              coupons=[coupon(amount_fen=2000, min_spend_fen=20000)], member_id=MEMBER)
    assert q.gross_fen == 30600
    assert [(d.label, d.amount_fen) for d in q.discounts] == [
        ("金卡直降 0.30元/升", 1200), ("会员日直降 0.10元/升", 400), ("满200减20", 2000)]
    assert q.payable_fen == 27000 and q.discount_fen == 3600 and q.litres_ml == 40_000
    assert q.discounts[2].coupon_id == 1 and q.coupon_ids == [1]
    assert q.lines[0].paid_fen == 27000


def test_no_member_day_discount_on_another_weekday():
    q = quote([FORTY_LITRES_92], tier=GOLD, member_day=MEMBER_DAY, at=WEDNESDAY)
    assert [d.amount_fen for d in q.discounts] == [1200]
    assert q.payable_fen == 29400


def test_the_member_day_rule_comes_from_the_policy():
    assert MemberDay.from_policy(Policy()) is None  # no per-litre cut configured
    rule = MemberDay.from_policy(Policy(member_day_weekdays=(2, 5), member_day_per_litre_fen=15))
    assert rule == MemberDay(per_litre_fen=15, weekdays=frozenset({2, 5}))


def test_member_day_is_judged_in_shanghai_time():
    # Monday 16:30 UTC is already Tuesday 00:30 in Shanghai.
    q = quote([FORTY_LITRES_92], member_day=MEMBER_DAY, at=datetime(2026, 3, 2, 16, 30, tzinfo=timezone.utc))
    assert q.discounts[0].label == "会员日直降 0.10元/升"


def test_the_minimum_spend_is_measured_after_the_tier_and_member_day_discounts():
    # 30 L at 6.80 = 204.00 gross, but 195.00 after the gold discount: 满200 does not apply.
    with pytest.raises(CouponNotApplicable) as e:
        quote([FuelLine("92", 30_000, 680)], tier=GOLD, at=WEDNESDAY,
              coupons=[coupon(amount_fen=2000, min_spend_fen=20000)])
    assert reason(e) == "min_spend" and "还差5元" in e.value.message


def test_fuel_amounts_round_half_up_to_the_fen_per_line():
    assert fuel_amount_fen(33_333, 765) == 25_500     # 254.99745 yuan
    assert fuel_amount_fen(1, 500) == 1               # 0.5 fen rounds up
    assert fuel_amount_fen(1, 499) == 0
    # A pump's own amount, when sent, is the gross.
    assert quote([FuelLine("92", 33_333, 765, amount_fen=25_499)]).gross_fen == 25_499


def test_percent_off_is_capped_and_rounded_half_up():
    q = quote([FORTY_LITRES_92], at=WEDNESDAY, coupons=[coupon("percent_off", percent_bp=1000, cap_fen=2000)])
    assert q.discounts[0] == ("9折券（最高减20元）", 2000, 1)
    q = quote([ShopLine("drinks", 12345)], at=WEDNESDAY, coupons=[coupon("percent_off", percent_bp=1000)])
    assert q.discounts[0].amount_fen == 1235 and q.discounts[0].label == "9折券"


def test_per_litre_coupon_applies_to_its_grades_only():
    lines = [FuelLine("92", 20_000, 765), FuelLine("95", 30_000, 820)]
    q = quote(lines, at=WEDNESDAY, coupons=[coupon("per_litre_off", per_litre_fen=50, grades="95")])
    assert q.discounts[0] == ("95#直降券 0.50元/升", 1500, 1)
    assert [line.discount_fen for line in q.lines] == [0, 1500]
    with pytest.raises(CouponNotApplicable) as e:
        quote([FORTY_LITRES_92], at=WEDNESDAY, coupons=[coupon("per_litre_off", per_litre_fen=50, grades="95,98")])
    assert reason(e) == "wrong_grade" and "95#、98#" in e.value.message


def test_free_item_takes_the_named_item_off_and_nothing_else():
    lines = [FORTY_LITRES_92, ShopLine("service", 3000, sku="WASH"), ShopLine("drinks", 500, sku="WATER")]
    q = quote(lines, at=WEDNESDAY, coupons=[coupon("free_item", name="免费洗车券", item_sku="WASH")])
    assert q.discounts[0] == ("免费洗车券", 3000, 1)
    assert [line.paid_fen for line in q.lines] == [30600, 0, 500]
    with pytest.raises(CouponNotApplicable) as e:
        quote([FORTY_LITRES_92], at=WEDNESDAY, coupons=[coupon("free_item", name="免费洗车券", item_sku="WASH")])
    assert reason(e) == "no_item"


def test_free_item_by_category():
    q = quote([ShopLine("car_wash", 2500, sku="W2")], at=WEDNESDAY,
              coupons=[coupon("free_item", name="洗车券", item_category="car_wash")])
    assert q.payable_fen == 0


def test_bundle_needs_both_fuel_and_shop():
    bundle = dict(amount_fen=1000, bundle_min_litres_ml=30_000, bundle_min_shop_fen=2000)
    lines = [FORTY_LITRES_92, ShopLine("drinks", 2500)]
    q = quote(lines, at=WEDNESDAY, coupons=[coupon("bundle", **bundle)])
    assert q.discounts[0] == ("加油+便利店减10元", 1000, 1) and q.payable_fen == 32100
    with pytest.raises(CouponNotApplicable) as e:
        quote([FORTY_LITRES_92, ShopLine("drinks", 1999)], at=WEDNESDAY, coupons=[coupon("bundle", **bundle)])
    assert reason(e) == "bundle_not_met" and "30升" in e.value.message


def test_never_below_zero():
    q = quote([ShopLine("drinks", 3000)], at=WEDNESDAY, coupons=[coupon(amount_fen=5000)])
    assert q.discounts[0] == ("立减50元", 3000, 1) and q.payable_fen == 0
    # A tier discount bigger than the fuel itself stops at the fuel's amount.
    q = quote([FuelLine("92", 1000, 20)], tier=SimpleNamespace(name="钻石", per_litre_discount_fen=50))
    assert q.payable_fen == 0 and q.discounts[0].amount_fen == 20
    # Once nothing is left, a further coupon is refused rather than used for nothing.
    with pytest.raises(CouponNotApplicable) as e:
        quote([ShopLine("drinks", 3000)], at=WEDNESDAY, coupons=[coupon(amount_fen=5000), coupon(id=2, amount_fen=100)])
    assert reason(e) == "nothing_to_discount"


def test_stackable_coupons_combine_in_the_order_given():
    q = quote([FORTY_LITRES_92], at=WEDNESDAY, coupons=[
        coupon(id=1, amount_fen=2000, min_spend_fen=20000), coupon("percent_off", id=2, percent_bp=500)])
    assert [d.amount_fen for d in q.discounts] == [2000, 1430]   # 5% of 286.00
    assert q.payable_fen == 27170


def test_a_non_stackable_coupon_is_the_only_coupon():
    with pytest.raises(CouponNotApplicable) as e:
        quote([FORTY_LITRES_92], at=WEDNESDAY, coupons=[coupon(id=1, amount_fen=100, stackable=False),
                                                         coupon(id=2, amount_fen=100)])
    assert reason(e) == "not_stackable"
    with pytest.raises(CouponNotApplicable) as e:
        quote([FORTY_LITRES_92], at=WEDNESDAY, coupons=[coupon(id=1, amount_fen=100)] * 2)
    assert reason(e) == "duplicate"
    # Alone, with the tier discount, it is fine.
    assert quote([FORTY_LITRES_92], tier=GOLD, at=WEDNESDAY,
                 coupons=[coupon(amount_fen=100, stackable=False)]).payable_fen == 29300


@pytest.mark.parametrize("change, why", [
    (dict(stations="S2,S3"), "wrong_station"),
    (dict(status="used"), "used"),
    (dict(status="expired"), "expired"),
    (dict(member_id=8), "not_yours"),
])
def test_a_coupon_that_cannot_be_used_here_says_why(change, why):
    status, member_id = change.pop("status", "issued"), change.pop("member_id", MEMBER)
    c = coupon(amount_fen=100, status=status, member_id=member_id, **change)
    with pytest.raises(CouponNotApplicable) as e:
        quote([FORTY_LITRES_92], at=WEDNESDAY, station_code="S1", member_id=MEMBER, coupons=[c])
    assert reason(e) == why


def test_a_coupon_past_its_window_is_expired_even_before_the_sweep():
    c = coupon(amount_fen=100)
    with pytest.raises(CouponNotApplicable) as e:
        quote([FORTY_LITRES_92], at=TUESDAY + timedelta(days=7), coupons=[c])
    assert reason(e) == "expired"
    with pytest.raises(CouponNotApplicable) as e:
        quote([FORTY_LITRES_92], at=TUESDAY - timedelta(days=2), coupons=[c])
    assert reason(e) == "not_yet_valid"


def test_discounts_are_spread_over_the_lines_and_add_up_exactly():
    lines = [FORTY_LITRES_92, ShopLine("drinks", 5000)]
    q = quote(lines, tier=GOLD, at=WEDNESDAY, coupons=[coupon(amount_fen=2000, min_spend_fen=20000)])
    # 20.00 over 294.00 fuel and 50.00 shop: 17.093 and 2.907 -> 1709 and 291.
    assert [(line.discount_fen, line.paid_fen) for line in q.lines] == [(1200 + 1709, 27691), (291, 4709)]
    assert sum(line.paid_fen for line in q.lines) == q.payable_fen == 32400


def test_allocate_uses_the_largest_remainder():
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert allocate(7, [3, 0, 5]) == [3, 0, 4]
    assert sum(allocate(99_999, [7, 13, 17, 1])) == 99_999
    assert allocate(0, [0, 0]) == [0, 0]


def test_coupon_discount_is_callable_on_its_own():
    from loyalty.till.pricing import PricedLine
    lines = [PricedLine(FORTY_LITRES_92, 30600, 29000)]
    found = coupon_terms.discount(coupon(amount_fen=2000, min_spend_fen=20000), lines, 29000, at=WEDNESDAY)
    assert found == ("满200减20", 2000)


def test_malformed_lines_are_refused():
    with pytest.raises(ValidationError):
        quote([FuelLine("92", -1, 765)])
    with pytest.raises(ValidationError):
        quote([ShopLine("drinks", -5)])
    with pytest.raises(ValidationError):
        quote([FuelLine("92", 40.5, 765)])  # litres are integer millilitres, never floats
