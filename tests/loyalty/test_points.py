"""Points, as the station's rule book tells them: lots, oldest first, exact refunds, expiry."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants, points
from loyalty.errors import InsufficientPoints, ValidationError
from loyalty.books.ledger import as_utc
from loyalty.policy import BUSINESS_TZ, Policy
from loyalty.people.members import account_of, create_member
from models import Account, LedgerEntry, LotMovement, PointLot

RULES = Policy(points_expiry_months=24)


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)


def member_points(phone: str = "13800000001") -> Account:
    return account_of(create_member(phone), "points")


def earn(account, n, when, key, policy=RULES):
    return points.earn(account, n, key=key, cause_type="sale", cause_ref=key, now=when, policy=policy)


def lots(account) -> list[PointLot]:
    return db.session.scalars(select(PointLot).where(PointLot.account_id == account.id)
                              .order_by(PointLot.id).execution_options(populate_existing=True)).all()


def movements(entry) -> dict[int, int]:
    rows = db.session.execute(select(LotMovement.lot_id, LotMovement.amount)
                              .where(LotMovement.entry_id == entry.id)).all()
    return {lot_id: amount for lot_id, amount in rows}


@pytest.fixture
def books_stay_sound(any_app):
    yield
    assert invariants.check(db.session) == []


def test_points_earned_mid_january_expire_with_january_two_years_on(books_stay_sound):
    account = member_points()
    entry = earn(account, 100, shanghai(2026, 1, 15, 9, 30), "sale-1")
    [lot] = lots(account)
    # Valid through 2028-01-31 23:59:59.999 Shanghai: expires at the first instant of February.
    assert as_utc(lot.expires_at) == shanghai(2028, 2, 1) == datetime(2028, 1, 31, 16, tzinfo=timezone.utc)
    assert (lot.amount, lot.remaining, lot.entry_id) == (100, 100, entry.id)
    assert account.balance == 100
    assert points.spendable(account, now=shanghai(2028, 1, 31, 23, 59)) == 100
    assert points.spendable(account, now=shanghai(2028, 2, 1)) == 0


def test_the_month_is_the_shanghai_month_not_the_utc_one():
    # 20:00 UTC on 31 January is already 1 February in Shanghai.
    assert points.expiry_instant(datetime(2026, 1, 31, 20, tzinfo=timezone.utc), 12) == shanghai(2027, 3, 1)
    assert points.expiry_instant(shanghai(2026, 12, 31, 23, 30), 12) == shanghai(2028, 1, 1)
    assert points.expiry_instant(shanghai(2026, 5, 5), 0) is None


def test_pending_points_cannot_be_spent_until_available(books_stay_sound):
    account = member_points()
    earn(account, 100, shanghai(2026, 1, 15), "sale-1", Policy(points_pending_days=7))
    with pytest.raises(InsufficientPoints):
        points.spend(account, 10, key="r1", cause_type="redemption", now=shanghai(2026, 1, 21))
    assert points.spendable(account, now=shanghai(2026, 1, 22)) == 100


def test_spending_150_across_two_lots_takes_the_older_first(books_stay_sound):
    account = member_points()
    earn(account, 100, shanghai(2026, 1, 15), "sale-1")
    earn(account, 100, shanghai(2026, 3, 2), "sale-2")
    earn(account, 100, shanghai(2026, 2, 1), "bonus", Policy(points_expiry_months=0))  # never expires
    january, march, forever = lots(account)
    spent = points.spend(account, 150, key="redeem-1", cause_type="redemption", now=shanghai(2026, 4, 1))
    assert spent.amount == -150 and account.balance == 150
    assert movements(spent) == {january.id: -100, march.id: -50}
    assert [lot.remaining for lot in lots(account)] == [0, 50, 100]
    assert forever.expires_at is None


def test_a_refund_of_the_spend_gives_back_exactly_those_lots(books_stay_sound):
    account = member_points()
    earn(account, 100, shanghai(2026, 1, 15), "sale-1")
    earn(account, 100, shanghai(2026, 3, 2), "sale-2")
    spent = points.spend(account, 150, key="redeem-1", cause_type="redemption", now=shanghai(2026, 4, 1))
    january, march = lots(account)
    back = points.restore(spent, key="redeem-1:refund", cause_type="refund", now=shanghai(2026, 4, 2),
                          policy=RULES)
    assert back.amount == 150 and back.reverses_id == spent.id and back.kind == "refund"
    assert movements(back) == {january.id: 100, march.id: 50}
    assert [lot.remaining for lot in lots(account)] == [100, 100]
    again = points.restore(spent, key="redeem-1:refund", cause_type="refund", now=shanghai(2026, 4, 2))
    assert again.id == back.id
    assert points.restore(spent, key="second-try", cause_type="refund", now=shanghai(2026, 4, 2)) is None


def test_a_partial_refund_gives_back_the_latest_expiring_lots_first(books_stay_sound):
    account = member_points()
    earn(account, 100, shanghai(2026, 1, 15), "sale-1")
    earn(account, 100, shanghai(2026, 3, 2), "sale-2")
    spent = points.spend(account, 150, key="redeem-1", cause_type="redemption", now=shanghai(2026, 4, 1))
    january, march = lots(account)
    first = points.restore(spent, 60, key="part-1", cause_type="refund", now=shanghai(2026, 4, 2))
    assert movements(first) == {march.id: 50, january.id: 10}
    rest = points.restore(spent, 1000, key="part-2", cause_type="refund", now=shanghai(2026, 4, 2))
    assert rest.amount == 90 and movements(rest) == {january.id: 90}


@pytest.mark.parametrize("rule, given_back", [("forfeit", 50), ("reissue", 150)])
def test_refunded_points_whose_lot_expired_meanwhile(books_stay_sound, rule, given_back):
    account = member_points()
    policy = Policy(points_expiry_months=1, refund_expired_lots=rule)
    earn(account, 100, shanghai(2026, 1, 15), "sale-1", policy)  # valid through February
    earn(account, 100, shanghai(2026, 2, 2), "sale-2", policy)   # valid through March
    spent = points.spend(account, 150, key="redeem-1", cause_type="redemption", now=shanghai(2026, 2, 20))
    back = points.restore(spent, key="refund-1", cause_type="refund", now=shanghai(2026, 3, 10), policy=policy)
    assert back.amount == given_back
    january, february, *reissued = lots(account)
    assert (january.remaining, february.remaining) == (0, 100)
    if rule == "reissue":
        [fresh] = reissued
        assert (fresh.amount, fresh.entry_id) == (100, back.id)
        assert as_utc(fresh.expires_at) == shanghai(2026, 5, 1)
    assert points.restore(spent, key="refund-2", cause_type="refund", now=shanghai(2026, 3, 10),
                          policy=policy) is None


def test_a_sale_refund_claws_back_its_points_and_writes_off_what_was_spent(books_stay_sound):
    account = member_points()
    older = earn(account, 30, shanghai(2026, 1, 5), "sale-0")
    sale = earn(account, 100, shanghai(2026, 2, 1), "sale-1")
    points.spend(account, 90, key="redeem-1", cause_type="redemption", now=shanghai(2026, 2, 2))
    old_lot, sale_lot = lots(account)
    assert (old_lot.remaining, sale_lot.remaining) == (0, 40)
    taken = points.claw_back(sale, 100, key="refund-1", cause_type="refund", now=shanghai(2026, 2, 3))
    # 40 left in the sale's own lot; the other 60 were spent and are written off.
    assert taken.amount == -40 and taken.reverses_id == sale.id and account.balance == 0
    assert points.claw_back(sale, 100, key="refund-1", cause_type="refund").id == taken.id
    earn(account, 500, shanghai(2026, 2, 4), "sale-2")
    more = points.claw_back(sale, 100, key="refund-2", cause_type="refund", now=shanghai(2026, 2, 5))
    assert more.amount == -60  # never more than the sale earned, counting earlier claw-backs
    assert points.claw_back(sale, 1, key="refund-3", cause_type="refund", now=shanghai(2026, 2, 5)) is None
    with pytest.raises(ValidationError):  # only an earn can be clawed back, only a spend restored
        points.claw_back(taken, 1, key="refund-4", cause_type="refund")
    with pytest.raises(ValidationError):
        points.restore(older, 1, key="refund-5", cause_type="refund")


def test_the_expiry_run_posts_one_entry_per_account(books_stay_sound):
    alice, bob = member_points("13800000001"), member_points("13800000002")
    policy = Policy(points_expiry_months=1)
    for n, day in ((10, 3), (20, 20)):
        earn(alice, n, shanghai(2026, 1, day), f"a{day}", policy)
    earn(alice, 40, shanghai(2026, 2, 1), "a-feb", policy)
    earn(bob, 5, shanghai(2026, 1, 9), "b9", policy)
    points.spend(alice, 15, key="spend", cause_type="redemption", now=shanghai(2026, 1, 25))
    run_at = shanghai(2026, 3, 1)
    assert points.expire_due(now=run_at) == 2
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "expire")
                                 .order_by(LedgerEntry.account_id)).all()
    assert [(e.account_id, e.amount) for e in entries] == [(alice.id, -15), (bob.id, -5)]
    january_3, january_20, february = lots(alice)
    assert movements(entries[0]) == {january_20.id: -15}  # the 3 January lot was spent already
    assert [lot.remaining for lot in (january_3, january_20, february)] == [0, 0, 40]
    assert (alice.balance, bob.balance) == (40, 0)
    assert points.expire_due(now=run_at) == 0
    assert points.expire_due(now=run_at + timedelta(days=1)) == 0
    assert db.session.scalar(select(func.count()).where(LedgerEntry.kind == "expire")) == 2


def test_points_go_to_points_accounts_in_whole_numbers(books_stay_sound):
    account = member_points()
    with pytest.raises(ValidationError):
        earn(account, 1.5, shanghai(2026, 1, 1), "x")
    with pytest.raises(ValidationError):
        points.spend(account, 0, key="y", cause_type="redemption")
    wallet = db.session.scalars(select(Account).where(Account.member_id == account.member_id,
                                                      Account.kind == "stored_value")).one()
    with pytest.raises(ValidationError):
        earn(wallet, 10, shanghai(2026, 1, 1), "z")
