"""Spending takes the lot that expires soonest, not the lot made first: here the lots are
made in an order unrelated to their expiry (a 24-month lot made before a 6-month one, a
backdated earn made last), so an ORDER BY lot id would take the wrong ones."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from extensions import db
from loyalty.books import invariants, points
from loyalty.people.members import account_of, create_member
from loyalty.policy import BUSINESS_TZ, Policy
from models import LotMovement, PointLot

LONG, SHORT = Policy(points_expiry_months=24), Policy(points_expiry_months=6)


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)


def earn(account, n, when, key, policy):
    return points.earn(account, n, key=key, cause_type="sale", cause_ref=key, now=when, policy=policy)


def taken(entry) -> dict[int, int]:
    return dict(db.session.execute(select(LotMovement.lot_id, LotMovement.amount)
                                   .where(LotMovement.entry_id == entry.id)).all())


def remaining(account) -> list[int]:
    return list(db.session.scalars(select(PointLot.remaining).where(PointLot.account_id == account.id)
                                   .order_by(PointLot.id).execution_options(populate_existing=True)))


@pytest.fixture
def books_stay_sound(any_app):
    yield
    assert invariants.check(db.session) == []


def test_two_spends_take_the_later_made_but_sooner_expiring_lot_first(books_stay_sound):
    account = account_of(create_member("13800000001"), "points")
    first = earn(account, 100, shanghai(2026, 1, 15), "sale-1", LONG)   # made first, expires 2028-02-01
    second = earn(account, 100, shanghai(2026, 2, 10), "promo", SHORT)  # made second, expires 2026-09-01
    long_lot, short_lot = (db.session.scalars(select(PointLot.id).where(PointLot.entry_id == e.id)).one()
                           for e in (first, second))
    one = points.spend(account, 60, key="redeem-1", cause_type="redemption", now=shanghai(2026, 3, 1))
    assert taken(one) == {short_lot: -60}
    two = points.spend(account, 60, key="redeem-2", cause_type="redemption", now=shanghai(2026, 3, 2))
    # The short lot's last 40, then 20 of the long one.
    assert taken(two) == {short_lot: -40, long_lot: -20}
    assert remaining(account) == [80, 0]


def test_a_backdated_earn_made_last_is_spent_first(books_stay_sound):
    account = account_of(create_member("13800000001"), "points")
    earn(account, 50, shanghai(2026, 3, 5), "sale-march", LONG)     # expires 2028-04-01
    earn(account, 50, shanghai(2026, 1, 20), "sale-january", LONG)  # entered late, expires 2028-02-01
    march, january = db.session.scalars(select(PointLot.id).where(PointLot.account_id == account.id)
                                        .order_by(PointLot.id)).all()
    one = points.spend(account, 30, key="redeem-1", cause_type="redemption", now=shanghai(2026, 4, 1))
    assert taken(one) == {january: -30}
    two = points.spend(account, 30, key="redeem-2", cause_type="redemption", now=shanghai(2026, 4, 2))
    assert taken(two) == {january: -20, march: -10}
    assert remaining(account) == [40, 0]
