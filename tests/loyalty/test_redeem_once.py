"""rewards.redeem_once, the chat's confirmation: one key, one redemption, on both
databases and under racing threads on PostgreSQL."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import rewards
from loyalty.books import invariants, points
from loyalty.errors import InsufficientPoints
from loyalty.people.members import account_of, create_member
from loyalty.policy import Policy
from models import LedgerEntry, Member, Redemption, RewardItem

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def setup(points_: int) -> Member:
    member = create_member("13800000001")
    points.earn(account_of(member, "points"), points_, key="seed", cause_type="adjustment",
                now=NOW - timedelta(days=1), policy=Policy())
    db.session.add(RewardItem(code="CUP", name="保温杯", kind="gift", points_price=500, stock=3))
    db.session.commit()
    return member


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_same_key_answers_the_first_redemption(any_app):
    member = setup(2000)
    first = rewards.redeem_once(member, "CUP", key="wechat:1:abc", now=NOW)
    again = rewards.redeem_once(member, "CUP", key="wechat:1:abc", now=NOW)
    assert (first.created, again.created) == (True, False)
    assert again.result.id == first.result.id
    db.session.expire_all()
    # 2000 - 500 once; stock 3 - 1.
    assert points.spendable(account_of(member, "points"), NOW) == 1500
    assert db.session.scalar(select(RewardItem.stock)) == 2
    assert invariants.check(db.session) == []


def test_a_refusal_writes_nothing(any_app):
    member = setup(300)
    with pytest.raises(InsufficientPoints):
        rewards.redeem_once(member, "CUP", key="wechat:1:abc", now=NOW)
    db.session.expire_all()
    assert (count(Redemption), count(LedgerEntry, LedgerEntry.kind == "spend")) == (0, 0)
    assert db.session.scalar(select(RewardItem.stock)) == 3


def test_two_racing_confirmations_with_one_key_redeem_once(app):
    member_id = setup(2000).id
    gate = threading.Barrier(6, timeout=30)

    def attempt(_):
        with app.app_context():
            try:
                gate.wait()
                return rewards.redeem_once(db.session.get(Member, member_id), "CUP", key="wechat:1:abc",
                                           now=NOW).created
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=6) as pool:
        created = list(pool.map(attempt, range(6)))
    assert sorted(created) == [False] * 5 + [True]
    db.session.expire_all()
    assert (count(Redemption), count(LedgerEntry, LedgerEntry.kind == "spend")) == (1, 1)
    assert db.session.scalar(select(RewardItem.stock)) == 2
    assert invariants.check(db.session) == []
