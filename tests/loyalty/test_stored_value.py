"""Stored value at the station: top up with a bonus, pay from the balance, refund."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants, stored_value
from loyalty.errors import DuplicateConflict, InsufficientBalance, ValidationError
from loyalty.policy import Policy
from loyalty.people.members import account_of, create_member
from models import Account, LedgerEntry, TopupBonusRule

NOW = datetime(2026, 5, 1, 2, tzinfo=timezone.utc)
PRINCIPAL_FIRST, BONUS_FIRST = Policy(stored_value_spend_first="principal"), Policy(stored_value_spend_first="bonus")


def member_wallet(phone: str = "13800000001") -> Account:
    return account_of(create_member(phone), "stored_value")


def rules(*pairs, **extra) -> None:
    db.session.add_all(TopupBonusRule(min_topup_fen=m, bonus_fen=b, label=f"充{m // 100}送{b // 100}", **extra)
                       for m, b in pairs)
    db.session.flush()


def entry_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


@pytest.fixture
def wallet(any_app):
    account = member_wallet()
    yield account
    assert invariants.check(db.session) == []


def test_top_up_1000_yuan_with_a_1000_get_50_rule(wallet):
    rules((50000, 2000), (100000, 5000), (200000, 15000))
    result = stored_value.topup(wallet, 100000, key="pos-1", cause_ref="T1", now=NOW)
    assert (result.principal_entry.amount, result.bonus_entry.amount, result.bonus_fen) == (100000, 5000, 5000)
    assert result.principal_entry.bucket == "principal" and result.bonus_entry.bucket == "bonus"
    assert result.balance_fen == 105000
    assert stored_value.principal_of(wallet) == 100000 and wallet.bonus_balance == 5000
    assert result.bonus_entry.memo == "充1000送50"


def test_a_repeated_top_up_returns_the_first_result(wallet):
    rules((100000, 5000))
    first = stored_value.topup(wallet, 100000, key="pos-1", now=NOW)
    again = stored_value.topup(wallet, 100000, key="pos-1", now=NOW)
    assert (again.principal_entry.id, again.bonus_entry.id) == (first.principal_entry.id, first.bonus_entry.id)
    assert again.balance_fen == 105000 and entry_count() == 2


def test_no_bonus_below_the_threshold_nor_from_inactive_or_out_of_window_rules(wallet):
    rules((100000, 5000))
    rules((10000, 999), active=False)
    rules((20000, 888), starts_at=NOW + timedelta(days=1))
    rules((30000, 777), ends_at=NOW)
    result = stored_value.topup(wallet, 99999, key="pos-1", now=NOW)
    assert (result.bonus_entry, result.bonus_fen, result.balance_fen) == (None, 0, 99999)


def test_pay_100500_principal_first(wallet):
    rules((100000, 5000))
    stored_value.topup(wallet, 100000, key="pos-1", now=NOW)
    legs = stored_value.pay(wallet, 100500, key="sale-9", cause_type="sale", cause_ref="9", policy=PRINCIPAL_FIRST)
    assert [(leg.bucket, leg.amount) for leg in legs] == [("principal", -100000), ("bonus", -500)]
    assert stored_value.principal_of(wallet) == 0 and wallet.bonus_balance == 4500
    again = stored_value.pay(wallet, 100500, key="sale-9", cause_type="sale", policy=PRINCIPAL_FIRST)
    assert [leg.id for leg in again] == [leg.id for leg in legs]
    with pytest.raises(DuplicateConflict):  # the same sale number for another amount
        stored_value.pay(wallet, 100, key="sale-9", cause_type="sale", policy=PRINCIPAL_FIRST)


def test_bonus_first_when_the_policy_says_so(wallet):
    rules((100000, 5000))
    stored_value.topup(wallet, 100000, key="pos-1", now=NOW)
    legs = stored_value.pay(wallet, 6000, key="sale-9", cause_type="sale", policy=BONUS_FIRST)
    assert [(leg.bucket, leg.amount) for leg in legs] == [("bonus", -5000), ("principal", -1000)]


def test_paying_more_than_the_balance_writes_nothing(wallet):
    stored_value.topup(wallet, 3000, key="pos-1", now=NOW)
    with pytest.raises(InsufficientBalance):
        stored_value.pay(wallet, 3001, key="sale-9", cause_type="sale", policy=PRINCIPAL_FIRST)
    assert entry_count() == 1 and wallet.balance == 3000


def test_a_refund_returns_the_last_bucket_taken_first(wallet):
    rules((100000, 5000))
    stored_value.topup(wallet, 100000, key="pos-1", now=NOW)
    legs = stored_value.pay(wallet, 100500, key="sale-9", cause_type="sale", policy=PRINCIPAL_FIRST)
    part = stored_value.refund_payment(legs, 800, key="refund-1", cause_ref="9")
    # As if the sale had cost 800 less: the 500 of bonus first, then 300 of principal.
    assert [(e.bucket, e.amount, e.reverses_id) for e in part] == [
        ("bonus", 500, legs[1].id), ("principal", 300, legs[0].id)]
    assert (stored_value.principal_of(wallet), wallet.bonus_balance) == (300, 5000)
    assert [e.id for e in stored_value.refund_payment(legs, 800, key="refund-1")] == [e.id for e in part]
    with pytest.raises(ValidationError):
        stored_value.refund_payment(legs, 99701, key="refund-2")
    rest = stored_value.refund_payment(legs, 99700, key="refund-3")
    assert [(e.bucket, e.amount) for e in rest] == [("principal", 99700)]
    assert (wallet.balance, wallet.bonus_balance) == (105000, 5000)


def test_low_balance_and_wrong_accounts(wallet):
    policy = Policy(low_balance_threshold_fen=5000)
    stored_value.topup(wallet, 5000, key="pos-1", now=NOW)
    assert not stored_value.is_low(wallet, policy)
    stored_value.pay(wallet, 1, key="sale-1", cause_type="sale", policy=policy)
    assert stored_value.is_low(wallet, policy)
    points = db.session.scalars(select(Account).where(Account.member_id == wallet.member_id,
                                                      Account.kind == "points")).one()
    with pytest.raises(ValidationError):
        stored_value.topup(points, 100, key="pos-2")
    with pytest.raises(ValidationError):
        stored_value.topup(wallet, 10.0, key="pos-3")
