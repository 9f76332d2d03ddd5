"""The demo rule book's daily cap (per_day 1000, per_sale 500), per member and per
business day in Asia/Shanghai, net of refunds: on PostgreSQL and on SQLite."""
from datetime import datetime, timedelta, timezone

import pytest

from extensions import db
from loyalty import demo
from loyalty.benefits import family
from loyalty.people import members
from loyalty.policy import BUSINESS_TZ
from loyalty.till import refunds, sales
from loyalty.till.pricing import ShopLine

# 5000 yuan in the shop: 10 points a 100 yuan = 500 points, the per-sale cap, and no
# litres (no tier change to muddle the points).
BIG_SHOP = [ShopLine("drinks", 500000)]


def shanghai(day: int, hour: int, minute: int) -> datetime:
    """A Wednesday-to-Friday time in Shanghai (18-20 November 2026), as aware UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)


@pytest.fixture
def world(any_app):
    demo.seed()
    return any_app


def member(phone="13900000001"):
    m = members.create_member(phone, consent=True)
    db.session.commit()
    return m


def earn(who, no: str, at: datetime) -> int:
    return sales.commit("S001", no, BIG_SHOP, member_id=who.id, now=at).sale.points_earned


def test_three_sales_in_the_first_minutes_of_a_day_hit_the_cap(world):
    ming = member()
    # 00:01-00:03 in Shanghai is 16:01-16:03 UTC the day before: the day must be Shanghai's.
    got = [earn(ming, f"T{i}", shanghai(19, 0, i)) for i in (1, 2, 3)]
    assert got == [500, 500, 0]  # 1000 a day: the third sale earns nothing


def test_the_cap_starts_again_at_midnight_shanghai_time(world):
    ming = member()
    got = [earn(ming, "A", shanghai(18, 23, 58)), earn(ming, "B", shanghai(18, 23, 59)),
           earn(ming, "C", shanghai(19, 0, 1)), earn(ming, "D", shanghai(19, 0, 2)),
           earn(ming, "E", shanghai(19, 0, 3))]
    # 18th: 500 + 500 = the cap; 19th from 00:00: 500 + 500 again, then nothing.
    assert got == [500, 500, 500, 500, 0]


def test_points_taken_back_by_a_refund_do_not_count_toward_the_cap(world):
    ming = member()
    at = shanghai(18, 10, 0)
    first = sales.commit("S001", "T1", BIG_SHOP, member_id=ming.id, now=at).sale
    refunds.refund(first.id, "R1", now=at + timedelta(minutes=1))  # all 500 points back
    got = [earn(ming, "T2", at + timedelta(minutes=2)), earn(ming, "T3", at + timedelta(minutes=3)),
           earn(ming, "T4", at + timedelta(minutes=4))]
    # Net today: 500 - 500 + 500 + 500 = 1000 after T3, so T4 earns nothing.
    assert got == [500, 500, 0]


def test_each_member_of_a_family_has_a_cap_of_their_own(world):
    owner, child = member("13900000001"), member("13900000002")
    at = shanghai(18, 10, 0)
    home = family.create(owner, "王家", now=at)
    family.invite(home, owner, "13900000002", now=at)
    family.join(child, home, now=at)
    db.session.commit()
    got_owner = [earn(owner, f"O{i}", at + timedelta(minutes=i)) for i in (1, 2)]
    # The pool holds the owner's 1000 already; the child's own day starts at 0.
    got_child = [earn(child, f"C{i}", at + timedelta(minutes=10 + i)) for i in (1, 2, 3)]
    assert got_owner == [500, 500] and got_child == [500, 500, 0]
