"""Sales at the pump, as the station's rule book tells them."""
from datetime import datetime, timezone
import json

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import coupons
from loyalty import demo
from loyalty.books import invariants, points, stored_value
from loyalty.people import members
from loyalty.till import refunds, sales
from loyalty.errors import CouponNotApplicable, DuplicateConflict, InsufficientBalance, ValidationError
from loyalty.till.pricing import FuelLine, ShopLine
from models import LedgerEntry, Outbox, Sale

WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
TUESDAY = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def world(any_app):
    demo.seed()
    return any_app


def new_member(phone="13900000001", **kwargs):
    member = members.create_member(phone, consent=True, **kwargs)
    db.session.commit()
    return member


def fuel(litres: str, grade="92", price=765):
    from decimal import Decimal
    return FuelLine(grade=grade, litres_ml=int(Decimal(litres) * 1000), unit_price_fen=price)


def balance(member, kind):
    db.session.expire_all()
    return members.account_of(member, kind).balance


def test_a_normal_member_buys_40_litres_of_92_on_a_wednesday(world):
    ming = new_member()
    sale = sales.commit("S001", "T0001", [fuel("40.00")], member_id=ming.id, now=WEDNESDAY).sale
    assert (sale.gross_fen, sale.discount_fen, sale.payable_fen) == (30600, 0, 30600)
    assert sale.points_earned == 40
    assert json.loads(sale.points_breakdown) == [["92# 每升1分", 40]]
    assert balance(ming, "points") == 40
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 1
    assert invariants.check(db.session) == []


def test_a_gold_member_on_member_day_that_is_her_birthday(world):
    hong = new_member(tier_code="gold", birthday=datetime(1990, 11, 17).date())
    sale = sales.commit("S001", "T0002", [fuel("40.00")], member_id=hong.id, now=TUESDAY).sale
    # 金卡 0.10元/升 off: 30600 - 400 = 30200 payable.
    assert [d.label for d in sale.discounts] == ["金卡直降 0.10元/升"]
    assert sale.payable_fen == 30200
    # 40 points × 1.5 (gold) × 2 (Tuesday) × 2 (birthday) = 240.
    assert sale.points_earned == 240
    lines = json.loads(sale.points_breakdown)
    assert sum(n for _, n in lines) == 240 and lines[0] == ["92# 每升1分", 40]


def test_paying_from_stored_value(world):
    ming = new_member()
    stored_value.topup(members.account_of(ming, "stored_value"), 100000, key="t1")  # 充1000送50
    db.session.commit()
    sales.commit("S001", "T0003", [fuel("40.00")], member_id=ming.id, pay_with="balance", now=WEDNESDAY)
    assert balance(ming, "stored_value") == 105000 - 30600


def test_insufficient_balance_writes_nothing(world):
    ming = new_member()
    stored_value.topup(members.account_of(ming, "stored_value"), 10000, key="t1")
    db.session.commit()
    with pytest.raises(InsufficientBalance):
        sales.commit("S001", "T0004", [fuel("40.00")], member_id=ming.id, pay_with="balance", now=WEDNESDAY)
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 0
    assert balance(ming, "stored_value") == 10000
    assert balance(ming, "points") == 0


def test_a_retry_returns_the_first_sale_and_another_body_conflicts(world):
    ming = new_member()
    first = sales.commit("S001", "T0005", [fuel("40.00")], member_id=ming.id, now=WEDNESDAY)
    again = sales.commit("S001", "T0005", [fuel("40.00")], member_id=ming.id, now=WEDNESDAY)
    assert first.created and not again.created and again.sale.id == first.sale.id
    assert balance(ming, "points") == 40  # earned once
    with pytest.raises(DuplicateConflict):
        sales.commit("S001", "T0005", [fuel("41.00")], member_id=ming.id, now=WEDNESDAY)
    # The same number at another station is another sale.
    assert sales.commit("S002", "T0005", [fuel("40.00")], member_id=ming.id, now=WEDNESDAY).created


def test_a_coupon_is_used_by_the_sale_and_restored_by_a_full_refund(world):
    ming = new_member()
    coupon = coupons.issue(ming, "FULL200_20", key="c1", now=WEDNESDAY)
    db.session.commit()
    sale = sales.commit("S001", "T0006", [fuel("40.00")], member_id=ming.id, coupon_ids=[coupon.id],
                        now=WEDNESDAY).sale
    assert sale.payable_fen == 30600 - 2000
    assert coupons.counts("FULL200_20", now=WEDNESDAY)["used"] == 1
    with pytest.raises(CouponNotApplicable):
        sales.commit("S001", "T0007", [fuel("40.00")], member_id=ming.id, coupon_ids=[coupon.id], now=WEDNESDAY)
    refunds.refund(sale.id, "R1", now=WEDNESDAY)
    db.session.expire_all()
    assert db.session.get(type(coupon), coupon.id).status == "issued"


def test_partial_refunds_reverse_points_and_balance_in_proportion(world):
    ming = new_member()
    stored_value.topup(members.account_of(ming, "stored_value"), 50000, key="t1")  # 充500送20
    db.session.commit()
    sale = sales.commit("S001", "T0008", [fuel("40.00")], member_id=ming.id, pay_with="balance",
                        now=WEDNESDAY).sale
    refund, created = refunds.refund(sale.id, "R1", 15300, now=WEDNESDAY)  # half
    assert created and refund.points_reversed == 20 and refund.balance_returned_fen == 15300
    same, created_again = refunds.refund(sale.id, "R1", 15300, now=WEDNESDAY)
    assert not created_again and same.id == refund.id
    with pytest.raises(DuplicateConflict):
        refunds.refund(sale.id, "R1", 100, now=WEDNESDAY)
    refunds.refund(sale.id, "R2", now=WEDNESDAY)  # the rest
    assert balance(ming, "points") == 0
    assert balance(ming, "stored_value") == 52000
    with pytest.raises(ValidationError):
        refunds.refund(sale.id, "R3", 1, now=WEDNESDAY)
    assert invariants.check(db.session) == []


def test_crossing_a_threshold_upgrades_at_once_with_the_reward(world):
    fleet = new_member(identity="fleet")
    sales.commit("S003", "T0009", [fuel("1000.00", grade="0", price=742)], member_id=fleet.id, now=WEDNESDAY)
    db.session.expire_all()
    from models import Tier
    assert db.session.get(Tier, fleet.tier_id).code == "silver"
    # 500 points for 1000 L of diesel (1 per 2 L), capped at 500 per sale, + 100 upgrade reward.
    assert balance(fleet, "points") == 600


def test_bad_lines_are_refused_before_anything_is_written(world):
    ming = new_member()
    entries_before = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    for lines in ([], [fuel("40.00", grade="89")], [fuel("0")], [ShopLine("drinks", 0)]):
        with pytest.raises(ValidationError):
            sales.commit("S001", "T0010", lines, member_id=ming.id, now=WEDNESDAY)
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries_before
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 0


def test_a_sale_without_a_member_earns_nothing(world):
    sale = sales.commit("S001", "T0011", [fuel("10.00"), ShopLine("drinks", 500)], now=WEDNESDAY).sale
    assert sale.member_id is None and sale.points_earned == 0 and sale.payable_fen == 7650 + 500


def test_points_a_refund_wrote_off_are_never_taken_from_points_earned_later(world):
    ming = new_member()
    sale = sales.commit("S001", "T-WO", [fuel("40.00")], member_id=ming.id, now=WEDNESDAY).sale
    assert (sale.points_earned, sale.payable_fen) == (40, 30600)  # 40 L of 92# at 7.65, 1 point a litre
    points.spend(members.account_of(ming, "points"), 40, key="t:spend", cause_type="test", now=WEDNESDAY)
    db.session.commit()
    # Half the money back: 20 points due, none left to take: written off.
    first, _ = refunds.refund(sale.id, "R1", 15300, now=WEDNESDAY)
    assert first.points_reversed == 0
    points.earn(members.account_of(ming, "points"), 1000, key="t:earn", cause_type="test", now=WEDNESDAY)
    db.session.commit()
    # The other half: 40 × 30600 / 30600 − 40 × 15300 / 30600 = 40 − 20 = 20 due, not 40.
    second, _ = refunds.refund(sale.id, "R2", now=WEDNESDAY)
    assert second.points_reversed == 20
    assert balance(ming, "points") == 980
    assert invariants.check(db.session) == []
