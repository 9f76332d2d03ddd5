"""Tiers, as the station tells them: 普通 from the first day, 银卡 at 1 000 litres in a
year, 金卡 at 3 000, 钻石 at 6 000; up at once, down only at the review, after grace."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.people import members
from loyalty.benefits import tiers
from loyalty.errors import ValidationError
from loyalty.policy import Policy
from loyalty.rules.loader import load_rules_file
from loyalty.till import daily_totals
from models import Account, CouponTemplate, Coupon, Member, Sale, SaleLine, Station, Tier, TierChange, TierReward

DEMO = Path(__file__).resolve().parents[2] / "loyalty" / "data" / "demo-rules.yaml"
JOINED = datetime(2026, 1, 10, 2, 0, tzinfo=timezone.utc)
POLICY = Policy(tier_metric="litres", tier_window_days=365, tier_grace_days=30, tier_trial_days=30)
_txn = iter(range(1, 10**6))


@pytest.fixture
def station(any_app):
    # 金卡's upgrade coupon in the demo rule book; the demo seed makes it before loading the rules.
    db.session.add(CouponTemplate(code="WASH_FREE", name="免费洗车", kind="free_item", item_category="car_wash",
                                  valid_days=60))
    load_rules_file(DEMO)
    station = Station(code="S001", name="一号站")
    db.session.add(station)
    db.session.flush()
    return station


def join(phone: str = "13800000001", tier_code: str | None = None) -> Member:
    return members.create_member(phone, tier_code=tier_code, created_at=JOINED)


def join_on_trial(phone: str, trial: Policy) -> Member:
    """A new member under a policy with a trial tier (create_member reads the app's policy)."""
    member = Member(phone=phone, created_at=JOINED)
    db.session.add(member)
    db.session.flush()
    db.session.add_all(Account(kind=kind, member_id=member.id, balance=0, bonus_balance=0)
                       for kind in ("points", "stored_value"))
    tiers.assign_starting_tier(member, now=JOINED, policy=trial)
    return member


def fill(station: Station, member: Member, litres: int, at: datetime, *, refunded: bool = False,
         extra_ml: int = 0) -> Sale:
    """A 92# sale of `litres` litres (and `extra_ml`) at 8 yuan a litre, counted in the
    member's daily totals as loyalty.till.sales counts a sale (and its full refund)."""
    ml, amount = litres * 1000 + extra_ml, litres * 800
    sale = Sale(station_id=station.id, pos_txn_no=f"T{next(_txn)}", request_hash="-", member_id=member.id,
                gross_fen=amount, discount_fen=0, payable_fen=amount, litres_ml=ml, created_at=at,
                refunded_fen=amount if refunded else 0)
    sale.lines.append(SaleLine(kind="fuel", grade_code="92", litres_ml=ml, unit_price_fen=800, amount_fen=amount))
    db.session.add(sale)
    db.session.flush()
    day = daily_totals.business_day(at)
    daily_totals.add(member.id, day, daily_totals.of_sale(ml, amount, 0))
    if refunded:
        sale.refunded_fen = 0
        daily_totals.add(member.id, day, daily_totals.of_refund(sale, amount, 0))
        sale.refunded_fen = amount
    db.session.flush()
    return sale


def refund_in_full(member: Member, sale: Sale) -> None:
    """What loyalty.till.refunds does to the sale and the member's daily totals."""
    daily_totals.add(member.id, daily_totals.business_day(sale.created_at),
                     daily_totals.of_refund(sale, sale.payable_fen - sale.refunded_fen, 0))
    sale.refunded_fen = sale.payable_fen
    db.session.flush()


def tier_of(member: Member) -> str:
    return db.session.get(Tier, member.tier_id).code


def points_of(member: Member) -> int:
    return db.session.scalar(select(Account.balance).where(Account.member_id == member.id, Account.kind == "points"))


def test_a_new_member_starts_at_the_lowest_tier(station):
    member = join()
    assert tier_of(member) == "normal" and member.trial_until is None
    change = db.session.scalars(select(TierChange)).one()
    assert (change.reason, change.from_tier_id, change.to_tier_id) == ("initial", None, member.tier_id)


def test_a_new_member_may_be_placed_in_a_tier_but_not_an_unknown_one(station):
    assert tier_of(join(tier_code="gold")) == "gold"
    with pytest.raises(ValidationError):
        join("13800000002", tier_code="platinum")


def test_the_sale_that_crosses_the_threshold_upgrades_at_once_with_the_reward(station):
    member = join()
    fill(station, member, 990, JOINED + timedelta(days=5))
    assert tiers.after_sale(member, now=JOINED + timedelta(days=5), policy=POLICY) is None
    fill(station, member, 20, JOINED + timedelta(days=6))
    change = tiers.after_sale(member, now=JOINED + timedelta(days=6), policy=POLICY)
    assert tier_of(member) == "silver"
    assert (change.reason, change.metric_value) == ("upgrade", 1010000)
    assert points_of(member) == 100  # 银卡 upgrade reward


def test_one_big_fleet_fill_reaches_gold_and_earns_every_level_passed(station):
    member = join()
    fill(station, member, 3000, JOINED + timedelta(days=1))
    tiers.after_sale(member, now=JOINED + timedelta(days=1), policy=POLICY)
    assert tier_of(member) == "gold"
    assert points_of(member) == 100 + 300


def test_the_reward_is_given_once_per_level_per_window(station):
    member = join()
    first = fill(station, member, 1000, JOINED + timedelta(days=10))
    tiers.after_sale(member, now=JOINED + timedelta(days=10), policy=POLICY)
    refund_in_full(member, first)  # the litres no longer count
    assert tiers.review(now=JOINED + timedelta(days=50), policy=POLICY)["downgraded"] == 1
    assert tier_of(member) == "normal"
    fill(station, member, 1000, JOINED + timedelta(days=60))
    assert tiers.after_sale(member, now=JOINED + timedelta(days=60), policy=POLICY).reason == "upgrade"
    assert tier_of(member) == "silver" and points_of(member) == 100  # same window: nothing more
    assert db.session.scalar(select(func.count()).select_from(TierReward)) == 1
    # A year after joining a new window opens: reaching 银卡 again is rewarded again.
    next_year = JOINED + timedelta(days=400)
    member.tier_id = db.session.scalars(select(Tier.id).where(Tier.code == "normal")).one()  # as a review would
    fill(station, member, 1000, next_year)
    tiers.after_sale(member, now=next_year, policy=POLICY)
    assert points_of(member) == 200


def test_reaching_gold_also_brings_its_car_wash_coupon(station):
    member = join()
    fill(station, member, 3000, JOINED + timedelta(days=3))
    tiers.after_sale(member, now=JOINED + timedelta(days=3), policy=POLICY)
    coupon = db.session.scalars(select(Coupon)).one()
    assert (coupon.member_id, coupon.source, coupon.template.code) == (member.id, "upgrade", "WASH_FREE")
    gold = db.session.scalars(select(Tier.id).where(Tier.code == "gold")).one()
    assert db.session.scalars(select(TierReward).where(TierReward.tier_id == gold)).one().coupon_id == coupon.id


def test_a_stopped_coupon_template_does_not_stop_the_upgrade(station):
    db.session.scalars(select(CouponTemplate)).one().active = False
    member = join()
    fill(station, member, 3000, JOINED + timedelta(days=3))
    tiers.after_sale(member, now=JOINED + timedelta(days=3), policy=POLICY)
    assert tier_of(member) == "gold" and points_of(member) == 400
    assert db.session.scalar(select(func.count()).select_from(Coupon)) == 0


def test_a_sale_never_downgrades(station):
    member = join(tier_code="gold")
    fill(station, member, 30, JOINED + timedelta(days=1))
    assert tiers.after_sale(member, now=JOINED + timedelta(days=1), policy=POLICY) is None
    assert tier_of(member) == "gold"


def test_the_review_downgrades_after_the_grace_period_not_before(station):
    member = join(tier_code="gold")  # tier_since = now; the test moves it to JOINED
    member.tier_since = JOINED
    fill(station, member, 1200, JOINED + timedelta(days=2))
    assert tiers.review(now=JOINED + timedelta(days=29), policy=POLICY)["downgraded"] == 0
    assert tier_of(member) == "gold"
    counts = tiers.review(now=JOINED + timedelta(days=31), policy=POLICY)
    assert counts["downgraded"] == 1
    assert tier_of(member) == "silver"  # down to what the metric earns, not to the bottom
    change = db.session.scalars(select(TierChange).where(TierChange.reason == "downgrade")).one()
    assert change.metric_value == 1200000


def test_the_review_counts_only_litres_inside_the_rolling_window(station):
    member = join()
    fill(station, member, 1000, JOINED)
    tiers.after_sale(member, now=JOINED, policy=POLICY)
    assert tiers.review(now=JOINED + timedelta(days=364), policy=POLICY)["downgraded"] == 0
    assert tiers.review(now=JOINED + timedelta(days=366), policy=POLICY)["downgraded"] == 1
    assert tier_of(member) == "normal"


def test_a_trial_tier_ends_at_the_review_after_its_days(station):
    trial = Policy(tier_trial_code="gold", tier_trial_days=30)
    member = join_on_trial("13800000009", trial)
    assert tier_of(member) == "gold" and member.trial_until == JOINED + timedelta(days=30)
    fill(station, member, 1100, JOINED + timedelta(days=5))
    assert tiers.review(now=JOINED + timedelta(days=29), policy=trial)["trials_ended"] == 0
    assert tiers.review(now=JOINED + timedelta(days=31), policy=trial) == {
        "downgraded": 0, "trials_ended": 1, "trials_kept": 0, "upgrades_reversed": 0}
    assert tier_of(member) == "silver" and member.trial_until is None


def test_a_trial_on_a_trial_only_tier_ends_to_the_tier_the_metric_earns(station):
    """A trial-only tier is not on the ladder; the review must still end its trials (it
    once looked the member's old tier up in the ladder and failed the whole review)."""
    from models import Outbox
    top = db.session.scalar(select(func.max(Tier.rank)))
    db.session.add(Tier(code="trial", name="体验金卡", rank=top + 1, threshold=10**9, is_trial=True))
    db.session.flush()
    trial = Policy(tier_trial_code="trial", tier_trial_days=30)
    stays, drops = join_on_trial("13800000021", trial), join_on_trial("13800000022", trial)
    assert tier_of(stays) == "trial"
    fill(station, stays, 1100, JOINED + timedelta(days=5))  # 1 100 L: 银卡
    assert tiers.review(now=JOINED + timedelta(days=31), policy=trial)["trials_ended"] == 2
    assert (tier_of(stays), tier_of(drops)) == ("silver", "normal")
    assert [c.reason for c in db.session.scalars(select(TierChange).where(TierChange.member_id == drops.id)
                                                 .order_by(TierChange.id))][-1] == "trial_end"
    notices = db.session.scalars(select(Outbox).where(Outbox.kind == "tier_down").order_by(Outbox.member_id)).all()
    assert [(n.member_id, json.loads(n.payload)["previous"]) for n in notices] == [
        (stays.id, "体验金卡"), (drops.id, "体验金卡")]


def test_a_trial_the_metric_confirms_is_kept(station):
    trial = Policy(tier_trial_code="silver", tier_trial_days=30)
    kept, confirmed = join_on_trial("13800000011", trial), join_on_trial("13800000012", trial)
    for member in (kept, confirmed):
        fill(station, member, 1000, JOINED + timedelta(days=5))
    change = tiers.after_sale(confirmed, now=JOINED + timedelta(days=5), policy=trial)
    assert confirmed.trial_until is None and tier_of(confirmed) == "silver"
    # The trial was a gift; reaching 银卡 by the litres is the level reached, and rewarded.
    assert change.reason == "upgrade" and points_of(confirmed) == 100
    assert tiers.review(now=JOINED + timedelta(days=31), policy=trial)["trials_kept"] == 1
    assert kept.trial_until is None and tier_of(kept) == "silver"


def test_metric_by_litres_amount_or_visits(station):
    member = join()
    fill(station, member, 40, JOINED)
    fill(station, member, 50, JOINED + timedelta(days=1))
    fill(station, member, 60, JOINED + timedelta(days=2), refunded=True)
    now = JOINED + timedelta(days=3)
    assert tiers.metric(member, now=now, policy=POLICY) == 90000
    assert tiers.metric(member, now=now, policy=Policy(tier_metric="amount")) == 72000
    assert tiers.metric(member, now=now, policy=Policy(tier_metric="visits")) == 2


def test_progress_tells_the_member_how_far_the_next_tier_is(station):
    member = join()
    fill(station, member, 879, JOINED, extra_ml=500)  # 879.5 litres
    progress = tiers.progress(member, now=JOINED + timedelta(days=1), policy=POLICY)
    assert (progress.tier.code, progress.next_tier.code, progress.value) == ("normal", "silver", 879500)
    assert progress.remaining == Decimal("120.5")
    assert progress.text == "再加油 120.5 升即可升级银卡"
    by_amount = tiers.progress(member, now=JOINED + timedelta(days=1), policy=Policy(tier_metric="amount"))
    assert by_amount.remaining == 1000000 - 703200 and by_amount.text == "再消费 2968 元即可升级银卡"


def test_progress_at_the_top_and_on_trial(station):
    top = join(tier_code="diamond")
    assert tiers.progress(top, now=JOINED, policy=POLICY).text == "您已是最高等级钻石"
    member = join_on_trial("13800000013", Policy(tier_trial_code="gold"))
    assert tiers.progress(member, now=JOINED, policy=POLICY).text == "金卡体验期至 2026-02-09，再加油 3000 升即可正式成为金卡"


def test_privileges_of_a_tier(station):
    gold = db.session.scalars(select(Tier).where(Tier.code == "gold")).one()
    assert tiers.privileges(gold)[:2] == (10, Decimal("1.5"))
    assert "洗车" in tiers.privileges(gold).perks
    assert tiers.privileges(None) == (0, Decimal(1), None)
