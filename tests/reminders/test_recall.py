"""Recall of dormant members: by the N-day rule and by twice their own median interval
(worked examples), marketing opt-in only, a coupon with it, once per cooldown."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from extensions import db
from jobs import notices
from loyalty import demo
from loyalty.people import profile
from models import Coupon
from tests.factories import fuel_sale
from tests.reminders.world import consenting, erased, on, rows, shanghai


def member_with_visits(phone: str, days: list[str], *, marketing: bool = True):
    member = consenting(phone)
    if marketing:
        profile.set_push_preferences(member, {"marketing": True})
        db.session.commit()
    for n, day in enumerate(days):
        fuel_sale(member, "30", at=shanghai(day, "09:30"), txn=f"{phone}-{n}")
    return member


def recalled(day: str) -> dict[int, dict]:
    assert on(day, notices.recall) >= 0
    return {member: payload for key, member, payload in rows("recall") if key.endswith(f":{day}")}


def every(start: str, gaps: list[int]) -> list[str]:
    days, current = [start], date.fromisoformat(start)
    for gap in gaps:
        current += timedelta(days=gap)
        days.append(current.isoformat())
    return days


def test_more_than_twice_the_median_interval_recalls_and_exactly_twice_does_not(any_app):
    demo.seed()
    # Visits 1, 11, 21, 31 October: intervals 10, 10, 10, median 10.
    member = member_with_visits("13900000041", every("2026-10-01", [10, 10, 10]))
    assert recalled("2026-11-20") == {}  # 20 days: not more than 2 x 10
    found = recalled("2026-11-21")  # 21 days
    coupon = db.session.scalars(select(Coupon).where(Coupon.member_id == member.id)).one()
    assert found == {member.id: {"coupon_id": coupon.id, "days_since_visit": 21}}
    assert (coupon.issue_key, coupon.source, coupon.template.code) == (f"recall:{member.id}:2026-11-21",
                                                                        "trigger", "RECALL")


def test_an_even_number_of_intervals_takes_the_mean_of_the_middle_two(any_app):
    demo.seed()
    # Intervals 4, 6, 10, 20 (sorted: the middle two 6 and 10): median 8, twice that 16.
    member = member_with_visits("13900000042", every("2026-09-01", [20, 4, 10, 6]))  # last 2026-10-11
    assert recalled("2026-10-27") == {}  # 16 days
    assert recalled("2026-10-28") == {member.id: {"coupon_id": db.session.scalar(
        select(Coupon.id).where(Coupon.member_id == member.id)), "days_since_visit": 17}}


def test_no_visit_for_thirty_days_recalls_even_a_member_who_comes_every_forty(any_app):
    demo.seed()
    member = member_with_visits("13900000043", every("2026-06-01", [40, 40, 40]))  # last 2026-09-29
    assert recalled("2026-10-28") == {}  # 29 days, and 2 x 40 is far away
    assert recalled("2026-10-29")[member.id]["days_since_visit"] == 30


def test_too_few_intervals_or_too_few_days_are_not_dormant(any_app):
    demo.seed()
    sparse = member_with_visits("13900000044", every("2026-10-01", [5]))  # one interval only; last 10-06
    daily = member_with_visits("13900000045", every("2026-10-01", [1, 1, 1, 1]))  # last 10-05, median 1
    assert recalled("2026-10-11") == {}  # daily: 6 days, under the floor of 7
    assert set(recalled("2026-10-12")) == {daily.id}  # 7 days, and 7 > 2 x 1
    assert recalled("2026-10-20") == {}  # sparse: 14 days, but one interval is no habit (daily: cooldown)
    assert set(recalled("2026-11-05")) == {sparse.id}  # 30 days: the N-day rule needs no habit


def test_only_members_who_opted_in_to_marketing_and_were_not_erased(any_app):
    demo.seed()
    member_with_visits("13900000046", every("2026-10-01", [10, 10, 10]), marketing=False)
    gone = member_with_visits("13900000047", every("2026-10-01", [10, 10, 10]))
    erased(gone)
    assert recalled("2026-11-21") == {}
    assert db.session.scalar(select(Coupon.id)) is None


def test_one_recall_per_cooldown_and_a_rerun_the_same_day_writes_nothing(any_app):
    demo.seed()
    member = member_with_visits("13900000048", every("2026-10-01", [10, 10, 10]))
    assert set(recalled("2026-11-21")) == {member.id}
    assert on("2026-11-21", notices.recall, at="16:00") == 0
    assert recalled("2026-11-22") == {}
    assert recalled("2026-12-20") == {}  # 29 days after the recall
    assert set(recalled("2026-12-21")) == {member.id}  # 30 days: the cooldown is over
    assert db.session.scalar(select(Coupon.id).where(Coupon.issue_key == f"recall:{member.id}:2026-12-21"))
    assert len(db.session.scalars(select(Coupon.id).where(Coupon.member_id == member.id)).all()) == 2


def test_a_visit_after_the_dormancy_ends_it(any_app):
    demo.seed()
    member = member_with_visits("13900000049", every("2026-10-01", [10, 10, 10]))
    fuel_sale(member, "20", at=shanghai("2026-11-15"), txn="back")
    assert recalled("2026-11-21") == {}  # 6 days since the 15th
