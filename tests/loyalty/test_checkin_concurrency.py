"""Check-ins racing on PostgreSQL: real threads, each with its own session."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import checkin
from loyalty.books import invariants, points
from loyalty.people.members import account_of, create_member
from loyalty.policy import Policy
from models import CheckIn, LedgerEntry, Member

POLICY = Policy(checkin_points=5, checkin_streak_days=3, checkin_streak_bonus=20)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def race(app, member_id: int, n: int = 8) -> list[bool]:
    db.session.commit()
    gate = threading.Barrier(n, timeout=30)

    def attempt(_):
        with app.app_context():
            try:
                gate.wait()
                return checkin.check_in(db.session.get(Member, member_id), now=NOW, policy=POLICY).created
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(attempt, range(n)))


def assert_one_award(member_id: int) -> None:
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)
                             .where(LedgerEntry.cause_type == "checkin")) == 1
    assert points.spendable(account_of(db.session.get(Member, member_id), "points"), NOW) == 5
    assert invariants.check(db.session) == []


def test_eight_simultaneous_check_ins_award_once(app):
    member_id = create_member("13800000001").id
    assert sorted(race(app, member_id)) == [False] * 7 + [True]
    assert_one_award(member_id)


def test_without_the_advisory_lock_the_unique_day_still_gives_one_award(app, monkeypatch):
    # The lock is the polite guard; the unique (member, day) index is the one that holds.
    monkeypatch.setattr("loyalty.once.lock", lambda key: None)
    member_id = create_member("13800000001").id
    assert sorted(race(app, member_id)) == [False] * 7 + [True]
    assert_one_award(member_id)
