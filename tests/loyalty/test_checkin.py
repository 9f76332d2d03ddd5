"""Daily check-in on both databases: once per Shanghai business day, streaks, bonuses."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import checkin
from loyalty.books import invariants, points
from loyalty.people.members import account_of, create_member
from loyalty.policy import Policy
from models import CheckIn, LedgerEntry

# 5 points a day, +20 on every 3rd consecutive day (a short cycle keeps the tests short).
POLICY = Policy(checkin_points=5, checkin_streak_days=3, checkin_streak_bonus=20)
# 2026-03-02 10:00 in Shanghai (UTC+8).
DAY1 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def spendable(member) -> int:
    return points.spendable(account_of(member, "points"), DAY1 + timedelta(days=30))


def test_a_second_check_in_the_same_business_day_awards_nothing(any_app):
    member = create_member("13800000001")
    first = checkin.check_in(member, now=DAY1, policy=POLICY)
    again = checkin.check_in(member, now=DAY1 + timedelta(hours=5), policy=POLICY)
    assert (first.created, again.created) == (True, False)
    assert again.checkin.id == first.checkin.id
    assert spendable(member) == 5
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    entry = db.session.get(LedgerEntry, first.checkin.ledger_entry_id)
    assert (entry.amount, entry.cause_type, entry.idempotency_key) == (5, "checkin", f"checkin:{member.id}:2026-03-02")


def test_2359_and_0001_shanghai_time_are_two_days_and_a_streak_of_two(any_app):
    member = create_member("13800000001")
    # 23:59 on 3 March in Shanghai is 15:59 UTC; two minutes later it is 4 March.
    late = datetime(2026, 3, 3, 15, 59, tzinfo=timezone.utc)
    a = checkin.check_in(member, now=late, policy=POLICY)
    b = checkin.check_in(member, now=late + timedelta(minutes=2), policy=POLICY)
    assert (a.checkin.day.isoformat(), b.checkin.day.isoformat()) == ("2026-03-03", "2026-03-04")
    assert (a.created, b.created) == (True, True)
    assert (a.checkin.streak, b.checkin.streak) == (1, 2)
    assert spendable(member) == 10  # 5 + 5


def test_00_01_and_23_59_of_one_shanghai_day_are_one_check_in(any_app):
    member = create_member("13800000001")
    # 00:01 on 5 March in Shanghai is 16:01 UTC on 4 March; 23:59 is 15:59 UTC on 5 March.
    first = checkin.check_in(member, now=datetime(2026, 3, 4, 16, 1, tzinfo=timezone.utc), policy=POLICY)
    later = checkin.check_in(member, now=datetime(2026, 3, 5, 15, 59, tzinfo=timezone.utc), policy=POLICY)
    assert first.checkin.day.isoformat() == "2026-03-05" and later.created is False
    assert spendable(member) == 5


def test_every_third_day_of_a_streak_earns_the_bonus_and_a_gap_starts_again(any_app):
    member = create_member("13800000001")
    results = [checkin.check_in(member, now=DAY1 + timedelta(days=n), policy=POLICY) for n in range(4)]
    assert [r.checkin.streak for r in results] == [1, 2, 3, 4]
    assert [r.checkin.bonus for r in results] == [0, 0, 20, 0]
    # Days until the next bonus day after each: 3-1=2, 3-2=1, a full cycle 3, then 3-(4%3)=2.
    assert [r.next_bonus_in for r in results] == [2, 1, 3, 2]
    # Day 6 after skipping day 5: the streak starts again at 1.
    gap = checkin.check_in(member, now=DAY1 + timedelta(days=5), policy=POLICY)
    assert (gap.checkin.streak, gap.checkin.bonus, gap.next_bonus_in) == (1, 0, 2)
    # 5 days x 5 points + one bonus of 20 = 45.
    assert spendable(member) == 45
    assert invariants.check(db.session) == []


def test_without_a_streak_bonus_the_next_bonus_is_none(any_app):
    member = create_member("13800000001")
    done = checkin.check_in(member, now=DAY1, policy=Policy(checkin_points=5, checkin_streak_days=0))
    assert (done.next_bonus_in, done.next_bonus) == (0, 0)


def test_the_database_refuses_a_second_row_for_one_member_and_day(any_app):
    import pytest
    from sqlalchemy.exc import IntegrityError
    member = create_member("13800000001")
    checkin.check_in(member, now=DAY1, policy=POLICY)
    db.session.add(CheckIn(member_id=member.id, day=checkin.business_day(DAY1), streak=1, points=5, bonus=0))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
