"""Refunds and tiers, on both databases: refunds take the metric back in proportion, and an
upgrade a refund undid is reversed at the next review, its rewards taken back like points.

The demo rule book: 92# earns 1 point a litre, at most 500 a sale; 银卡 at 1 000 L (reward
100 points), 金卡 at 3 000 L (300 points and a car-wash coupon); grace 30 days."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from extensions import db
from loyalty import demo
from loyalty.benefits import tiers
from loyalty.books import invariants, points
from loyalty.people import members
from loyalty.policy import Policy
from loyalty.till import refunds, sales
from loyalty.till.pricing import FuelLine
from models import Coupon, Tier, TierReward

JOINED = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)
WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # no member day
LATER = WEDNESDAY + timedelta(hours=3)
POLICY = Policy()  # litres over 365 days, 30 days' grace
_txn = iter(range(1, 10**6))


@pytest.fixture
def world(any_app):
    demo.seed()
    return any_app


def new_member(phone: str = "13900000001"):
    member = members.create_member(phone, consent=True, created_at=JOINED)
    db.session.commit()
    return member


def fill(member, litres: int, now=WEDNESDAY):
    """A 92# sale at 7.65 yuan a litre."""
    line = FuelLine(grade="92", litres_ml=litres * 1000, unit_price_fen=765)
    return sales.commit("S001", f"T{next(_txn)}", [line], member_id=member.id, now=now).sale


def state(member) -> tuple[str, int]:
    """(tier code, points balance), read afresh."""
    db.session.expire_all()
    return (db.session.get(Tier, member.tier_id).code, members.account_of(member, "points").balance)


def review(days_after_sale: int) -> dict:
    counts = tiers.review(now=WEDNESDAY + timedelta(days=days_after_sale), policy=POLICY)
    db.session.commit()
    return counts


def test_refunds_take_litres_and_amount_back_in_proportion_and_a_full_refund_the_visit(world):
    ming = new_member()
    sale = fill(ming, 40)  # 40 L × 765 = 30600 fen
    metric = {m: (lambda m=m: tiers.metric(ming, now=LATER, policy=Policy(tier_metric=m)))
              for m in ("litres", "amount", "visits")}
    refunds.refund(sale.id, "R1", 15300, now=LATER)  # half
    # litres: 40000 ml × 15300 / 30600 = 20000; amount: 30600 - 15300; visits: still one.
    assert (metric["litres"](), metric["amount"](), metric["visits"]()) == (20000, 15300, 1)
    refunds.refund(sale.id, "R2", 15299, now=LATER)  # all but 1 fen
    # 40000 × 1 / 30600 = 1.3 -> 1 ml.
    assert (metric["litres"](), metric["amount"](), metric["visits"]()) == (1, 1, 1)
    refunds.refund(sale.id, "R3", now=LATER)
    assert (metric["litres"](), metric["amount"](), metric["visits"]()) == (0, 0, 0)
    assert invariants.check(db.session) == []


def test_refunding_all_but_one_fen_of_the_fill_that_made_silver_undoes_it_at_the_next_review(world):
    ming = new_member()
    sale = fill(ming, 1000)  # 1000 L × 765 = 765000 fen; 1000 points capped to 500
    assert state(ming) == ("silver", 600)  # 500 + the 银卡 reward of 100
    refund, _ = refunds.refund(sale.id, "R1", 764999, now=LATER)
    assert refund.points_reversed == 499  # floor(500 × 764999 / 765000)
    # 1 000 000 ml × 1 / 765000 = 1.3 -> 1 ml: far below 银卡.
    assert tiers.metric(ming, now=LATER, policy=POLICY) == 1
    assert state(ming) == ("silver", 101)  # tiers move at the review, not at the refund

    # The next day, inside the grace period: grace protects a tier earned, not one refunded away.
    assert review(1)["upgrades_reversed"] == 1
    assert state(ming) == ("normal", 1)  # 101 - the reward's 100
    assert db.session.scalars(select(TierReward)).one().reversed_at is not None
    assert review(2) == {"downgraded": 0, "trials_ended": 0, "trials_kept": 0, "upgrades_reversed": 0}
    assert invariants.check(db.session) == []


def test_the_review_sixty_days_after_such_a_refund_reverses_the_upgrade_and_its_reward(world):
    ming = new_member()
    sale = fill(ming, 1000)
    refunds.refund(sale.id, "R1", 764999, now=LATER)
    counts = review(60)
    assert (counts["upgrades_reversed"], counts["downgraded"]) == (1, 0)
    assert state(ming) == ("normal", 1)  # 600 - 499 - 100
    assert invariants.check(db.session) == []


def test_a_fully_refunded_fill_to_gold_loses_both_rewards_and_its_unused_coupon(world):
    ming = new_member()
    sale = fill(ming, 3000)  # 2295000 fen; 500 points (cap)
    assert state(ming) == ("gold", 900)  # 500 + 银卡 100 + 金卡 300
    refunds.refund(sale.id, "R1", now=LATER)
    assert state(ming) == ("gold", 400)
    assert review(1)["upgrades_reversed"] == 1
    assert state(ming) == ("normal", 0)
    assert db.session.scalars(select(Coupon.status)).one() == "void"
    assert all(r.reversed_at is not None for r in db.session.scalars(select(TierReward)))
    assert invariants.check(db.session) == []


def test_a_refund_that_leaves_enough_litres_keeps_the_upgrade_and_its_reward(world):
    ming = new_member()
    sale = fill(ming, 1200)  # 1200 L × 765 = 918000 fen
    refund, _ = refunds.refund(sale.id, "R1", 76500, now=LATER)  # 100 litres' worth
    assert refund.points_reversed == 41  # floor(500 × 76500 / 918000) = floor(41.67)
    # 1 200 000 ml × 841500 / 918000 = 1 100 000 ml: still 银卡.
    assert tiers.metric(ming, now=LATER, policy=POLICY) == 1_100_000
    assert review(1)["upgrades_reversed"] == 0 and review(60)["downgraded"] == 0
    assert state(ming) == ("silver", 559)  # 500 + 100 - 41
    assert invariants.check(db.session) == []


def test_a_reward_already_spent_is_taken_back_as_far_as_the_points_go(world):
    ming = new_member()
    sale = fill(ming, 1000)  # lots: the sale's 500, then the reward's 100 (same expiry)
    points.spend(members.account_of(ming, "points"), 550, key="redeem:1", cause_type="redemption", now=LATER)
    db.session.commit()  # soonest expiry, ties by lot: all 500 of the sale's lot, 50 of the reward's
    refund, _ = refunds.refund(sale.id, "R1", now=LATER)
    assert refund.points_reversed == 50  # wanted 500: the 50 left; 450 written off
    assert review(1)["upgrades_reversed"] == 1
    assert state(ming) == ("normal", 0)  # nothing left to take for the reward: written off
    assert invariants.check(db.session) == []


def test_a_reversed_reward_is_given_again_when_the_level_is_really_reached(world):
    ming = new_member()
    sale = fill(ming, 1000)
    refunds.refund(sale.id, "R1", now=LATER)
    review(1)
    assert state(ming) == ("normal", 0)
    fill(ming, 1000, now=WEDNESDAY + timedelta(days=7))
    assert state(ming) == ("silver", 600)  # 500 + the reward again, in the same window
    assert invariants.check(db.session) == []
