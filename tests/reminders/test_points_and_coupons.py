"""Points and coupons about to expire: one notice per member and last day, on the day
that leaves exactly 30 / 7 (points) or 3 (coupons) days counting today, once."""
from __future__ import annotations

from datetime import datetime, timezone

from extensions import db
from jobs import notices
from loyalty import demo
from loyalty.benefits import coupons
from loyalty.reminders import points as points_reminder
from models import Coupon
from tests.factories import give_points, make_member, spend_points
from tests.reminders.world import consenting, erased, on, rows, shanghai

# Earned in December 2024, 24 months: gone at 2027-01-01 00:00 Shanghai, last day 2026-12-31.
DEC_2024 = datetime(2024, 12, 10, 2, 0, tzinfo=timezone.utc)
JAN_2025 = datetime(2025, 1, 10, 2, 0, tzinfo=timezone.utc)


def test_lots_of_300_and_200_ending_together_are_one_notice_of_500_thirty_days_ahead(any_app):
    member = consenting("13900000001")
    give_points(member, 300, DEC_2024, key="a")
    give_points(member, 200, DEC_2024.replace(day=20), key="b")
    give_points(member, 70, JAN_2025, key="c")  # a month later: its own date, not today
    assert on("2026-12-01", notices.points_expiring) == 0  # 31 days left
    assert on("2026-12-02", notices.points_expiring) == 1
    assert rows("points_expiring") == [(f"points_expiring:30:{member.id}:2026-12-31", member.id,
                                        {"days": 30, "expires_on": "2026-12-31", "points": 500})]
    assert on("2026-12-02", notices.points_expiring, at="18:00") == 0  # the same day again
    assert on("2026-12-03", notices.points_expiring) == 0  # 29 days left: nothing new
    assert len(rows("points_expiring")) == 1


def test_the_seven_day_notice_has_what_is_left_after_spending(any_app):
    member = consenting("13900000002")
    give_points(member, 300, DEC_2024, key="a")
    give_points(member, 200, DEC_2024.replace(day=20), key="b")
    spend_points(member, 120, datetime(2026, 12, 10, tzinfo=timezone.utc))  # oldest first: from the 300
    assert on("2026-12-24", notices.points_expiring) == 0  # 8 days left
    assert on("2026-12-25", notices.points_expiring) == 1  # 25..31: 7 days
    assert rows("points_expiring") == [(f"points_expiring:7:{member.id}:2026-12-31", member.id,
                                        {"days": 7, "expires_on": "2026-12-31", "points": 380})]
    assert on("2026-12-26", notices.points_expiring) == 0


def test_the_day_is_shanghai_s_not_utc_s(any_app):
    member = consenting("13900000003")
    give_points(member, 100, DEC_2024, key="a")
    # 23:59 on 1 December in Shanghai is still 31 days ahead; 00:01 on the 2nd is 30.
    assert on("2026-12-01", notices.points_expiring, at="23:59") == 0
    assert on("2026-12-02", notices.points_expiring, at="00:01") == 1


def test_erased_members_members_without_consent_and_spent_lots_get_nothing(any_app):
    gone = consenting("13900000004")
    give_points(gone, 100, DEC_2024, key="gone")
    erased(gone)
    never_consented = make_member("13900000005")  # no consent to the privacy terms
    give_points(never_consented, 100, DEC_2024, key="nc")
    spent = consenting("13900000006")
    give_points(spent, 100, DEC_2024, key="spent")
    spend_points(spent, 100, datetime(2026, 11, 1, tzinfo=timezone.utc))
    kept = consenting("13900000007")
    give_points(kept, 1, DEC_2024, key="kept")
    assert on("2026-12-02", notices.points_expiring) == 1
    assert [member for _, member, _ in rows("points_expiring")] == [kept.id]


def test_a_family_pool_s_points_are_told_to_its_owner_with_their_own(any_app):
    from loyalty.benefits import family
    owner, joiner = consenting("13900000011"), consenting("13900000012")
    give_points(owner, 300, DEC_2024, key="owner")
    give_points(joiner, 200, DEC_2024.replace(day=20), key="joiner")
    pool = family.create(owner, "王家", now=shanghai("2026-11-01"))
    family.invite(pool, owner, joiner.phone, now=shanghai("2026-11-01"))
    family.join(joiner, pool, now=shanghai("2026-11-02"))  # both members' points now in the pool
    db.session.commit()
    assert on("2026-12-02", notices.points_expiring) == 1
    assert rows("points_expiring") == [(f"points_expiring:30:{owner.id}:2026-12-31", owner.id,
                                        {"days": 30, "expires_on": "2026-12-31", "points": 500})]


def test_each_days_ahead_of_the_policy_is_its_own_notice(any_app):
    from loyalty.policy import Policy
    member = consenting("13900000008")
    give_points(member, 50, DEC_2024, key="a")
    policy = Policy(points_expiring_days=(30, 14))
    assert points_reminder.write_due(now=shanghai("2026-12-18"), policy=policy) == 1  # 18..31: 14 days
    assert rows("points_expiring")[0][2] == {"days": 14, "expires_on": "2026-12-31", "points": 50}


def _coupon(member, key: str, issued_on: str) -> Coupon:
    coupon = coupons.issue(member, "FULL200_20", key=key, now=shanghai(issued_on))  # valid 30 days more
    db.session.commit()
    return coupon


def test_coupons_ending_in_three_days_are_one_notice_per_member_listing_them(any_app):
    demo.seed()
    member, other = consenting("13900000011"), consenting("13900000012")
    first, second = _coupon(member, "c1", "2026-11-05"), _coupon(member, "c2", "2026-11-05")
    _coupon(member, "c3", "2026-11-06")  # a day later: not today
    used = _coupon(other, "c4", "2026-11-05")
    used.status, used.used_at = "used", shanghai("2026-11-20")
    db.session.commit()
    # Issued 5 November, 30 days: last day 5 December; on the 3rd three days are left.
    assert on("2026-12-02", notices.coupon_expiring) == 0
    assert on("2026-12-03", notices.coupon_expiring) == 1
    assert rows("coupon_expiring") == [(f"coupon_expiring:{member.id}:2026-12-05", member.id,
                                        {"count": 2, "coupon_ids": [first.id, second.id],
                                         "expires_on": "2026-12-05"})]
    assert on("2026-12-03", notices.coupon_expiring, at="20:00") == 0
    assert on("2026-12-04", notices.coupon_expiring) == 1  # the coupon issued on the 6th
    assert rows("coupon_expiring")[1][2]["count"] == 1


def test_an_erased_member_s_coupons_are_not_reminded(any_app):
    demo.seed()
    member = consenting("13900000013")
    _coupon(member, "c1", "2026-11-05")
    erased(member)
    assert on("2026-12-03", notices.coupon_expiring) == 0
