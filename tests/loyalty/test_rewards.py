"""The rewards catalogue on both databases: redeeming each kind, retries, limits, errors."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import family, rewards
from loyalty.books import invariants, points
from loyalty.errors import (DuplicateConflict, InsufficientPoints, LimitReached, NotAllowed, NotFound,
                            OutOfStock, ValidationError)
from loyalty.people.members import account_of, create_member
from loyalty.policy import Policy
from models import Coupon, CouponTemplate, LedgerEntry, Member, Redemption, RewardItem

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def make_member(phone: str = "13800000001", points_: int = 0) -> Member:
    """A member with empty points and stored-value accounts and `points_` to spend."""
    member = create_member(phone)
    if points_:
        points.earn(account_of(member, "points"), points_, key=f"seed:{phone}", cause_type="adjustment",
                    now=NOW - timedelta(days=1), policy=Policy())
    return member


def make_item(code: str = "CUP", **fields) -> RewardItem:
    values = dict(name="保温杯", kind="gift", points_price=500, stock=10)
    item = RewardItem(code=code, **{**values, **fields})
    db.session.add(item)
    db.session.flush()
    return item


def balance(member: Member) -> int:
    return points.spendable(account_of(member, "points"), NOW)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_gift_costs_points_and_stock_and_gets_a_pickup_code(any_app):
    member = make_member(points_=2000)
    item = make_item()
    r = rewards.redeem(member, "CUP", 2, key="req-1", now=NOW)
    assert (r.quantity, r.points, r.status) == (2, 1000, "awaiting_pickup")
    assert len(r.pickup_code) == 8 and r.pickup_code.isdigit()
    assert balance(member) == 1000 and item.stock == 8
    spend = db.session.get(LedgerEntry, r.spend_entry_id)
    assert (spend.amount, spend.cause_type, spend.cause_ref, spend.idempotency_key) == (
        -1000, "redemption", str(r.id), "redeem:req-1")
    assert rewards.pick_up(r.pickup_code, now=NOW).status == "picked_up"
    with pytest.raises(ValidationError):
        rewards.pick_up(r.pickup_code, now=NOW)
    with pytest.raises(NotFound):
        rewards.pick_up("00000000" if r.pickup_code != "00000000" else "00000001")
    assert invariants.check(db.session) == []


def test_a_coupon_item_issues_coupons_from_the_redemption(any_app):
    member = make_member(points_=1000)
    db.session.add(CouponTemplate(code="WASH", name="免费洗车券", kind="free_item", item_sku="WASH", valid_days=30))
    make_item("WASHCOUPON", name="洗车券", kind="coupon", points_price=300, stock=None, coupon_template_code="WASH")
    r = rewards.redeem(member, "WASHCOUPON", 2, key="req-1", now=NOW)
    issued = db.session.scalars(select(Coupon).order_by(Coupon.id)).all()
    assert [(c.source, c.issue_key) for c in issued] == [
        ("redemption", "redeem:req-1"), ("redemption", "redeem:req-1:2")]
    assert r.coupon_id == issued[0].id and r.status == "completed" and r.pickup_code is None
    assert balance(member) == 400


def test_a_donation_is_recorded(any_app):
    member = make_member(points_=100)
    make_item("CHARITY", name="希望小学捐赠", kind="donation", points_price=100, stock=None)
    r = rewards.redeem(member, "CHARITY", key="req-1", now=NOW)
    assert (r.status, r.points, r.pickup_code, r.coupon_id) == ("completed", 100, None, None)


def test_a_retried_request_returns_the_first_redemption_and_spends_once(any_app):
    member = make_member(points_=2000)
    make_item()
    first = rewards.redeem(member, "CUP", key="req-1", now=NOW)
    db.session.commit()
    again = rewards.redeem(member, "CUP", key="req-1", now=NOW + timedelta(minutes=1))
    assert again.id == first.id
    assert count(Redemption) == 1 and balance(member) == 1500
    assert db.session.get(RewardItem, first.item_id).stock == 9
    make_item("PEN", name="笔")
    with pytest.raises(DuplicateConflict):
        rewards.redeem(member, "PEN", key="req-1", now=NOW)


def test_the_per_member_limit_counts_earlier_redemptions(any_app):
    member, other = make_member(points_=5000), make_member("13800000002", points_=5000)
    make_item(per_member_limit=2)
    rewards.redeem(member, "CUP", key="a", now=NOW)
    with pytest.raises(LimitReached):
        rewards.redeem(member, "CUP", 2, key="b", now=NOW)
    rewards.redeem(member, "CUP", key="c", now=NOW)
    with pytest.raises(LimitReached):
        rewards.redeem(member, "CUP", key="d", now=NOW)
    rewards.redeem(other, "CUP", 2, key="e", now=NOW)
    entries = {e.limit_left for e in rewards.catalogue(member, now=NOW)}
    assert entries == {0}


@pytest.mark.parametrize("case, error", [
    ("poor", InsufficientPoints), ("sold_out", OutOfStock), ("unknown", NotFound),
    ("inactive", ValidationError), ("not_yet", ValidationError), ("over", ValidationError),
])
def test_a_refused_redemption_writes_nothing(any_app, case, error):
    member = make_member(points_=400 if case == "poor" else 5000)
    make_item(stock=0 if case == "sold_out" else 10, active=case != "inactive",
              starts_at=NOW + timedelta(days=1) if case == "not_yet" else None,
              ends_at=NOW if case == "over" else None)
    entries_before = count(LedgerEntry)
    with pytest.raises(error):
        rewards.redeem(member, "NOPE" if case == "unknown" else "CUP", key="req-1", now=NOW)
    assert not db.session.new and not db.session.dirty
    db.session.commit()
    left = 400 if case == "poor" else 5000
    assert (count(Redemption), count(LedgerEntry), balance(member)) == (0, entries_before, left)
    assert db.session.scalar(select(RewardItem.stock)) == (0 if case == "sold_out" else 10)


def test_a_family_member_redeems_only_with_the_owners_permission(any_app):
    owner, kid = make_member(points_=1000), make_member("13800000002")
    home = family.create(owner, "我家", now=NOW)
    family.invite(home, owner, kid.phone, now=NOW)
    family.join(kid, home, now=NOW)
    make_item()
    with pytest.raises(NotAllowed):
        rewards.redeem(kid, "CUP", key="kid-1", now=NOW)
    family.set_can_redeem(home, owner, kid, True)
    r = rewards.redeem(kid, "CUP", key="kid-2", now=NOW)
    assert r.member_id == kid.id and balance(owner) == balance(kid) == 500  # one pool
    assert invariants.check(db.session) == []


def test_the_catalogue_shows_what_is_on_offer_for_this_member(any_app):
    member = make_member(points_=600)
    make_item("CUP", points_price=500, sort_order=2)
    make_item("TV", name="电视", points_price=90000, stock=0, sort_order=1)
    make_item("OLD", name="旧款", ends_at=NOW - timedelta(days=1))
    make_item("OFF", name="下架", active=False)
    shown = rewards.catalogue(member, now=NOW)
    assert [(e.item.code, e.affordable, e.in_stock, e.limit_left) for e in shown] == [
        ("TV", False, False, None), ("CUP", True, True, None)]
