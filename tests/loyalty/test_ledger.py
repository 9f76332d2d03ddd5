"""The ledger primitives: post moves a balance with its entry, never below zero, once per key."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from extensions import db
from loyalty.books import ledger
from loyalty.errors import DuplicateConflict, InsufficientBalance, InsufficientPoints, ValidationError
from models import Account, LedgerEntry, Member

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)


def open_accounts(phone: str = "13800000001") -> tuple[Account, Account]:
    """A member's points and stored-value accounts, made directly (no tier seed needed)."""
    member = Member(phone=phone)
    db.session.add(member)
    db.session.flush()
    accounts = [Account(kind=kind, member_id=member.id, balance=0, bonus_balance=0)
                for kind in ("points", "stored_value")]
    db.session.add_all(accounts)
    db.session.flush()
    return accounts[0], accounts[1]


def entry_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def test_a_topup_and_a_payment_move_the_balance_with_their_entries(any_app):
    _, wallet = open_accounts()
    ledger.post(wallet, "topup", 10000, key="t1", cause_type="topup", bucket="principal", now=NOW)
    paid = ledger.post(wallet, "payment", -2500, key="p1", cause_type="sale", cause_ref="42",
                       bucket="principal", now=NOW)
    assert wallet.balance == 7500
    assert paid.amount == -2500 and paid.cause_ref == "42"
    assert ledger.as_utc(paid.created_at) == NOW
    assert db.session.scalar(select(func.sum(LedgerEntry.amount))) == 7500


def test_a_debit_the_account_cannot_cover_writes_nothing(any_app):
    points, wallet = open_accounts()
    ledger.post(wallet, "topup", 100, key="t1", cause_type="topup", bucket="principal")
    with pytest.raises(InsufficientBalance):
        ledger.post(wallet, "payment", -101, key="p1", cause_type="sale", bucket="principal")
    with pytest.raises(InsufficientPoints):
        ledger.post(points, "spend", -1, key="s1", cause_type="redemption")
    assert entry_count() == 1
    assert ledger.lock_account(wallet.id).balance == 100


def test_bonus_entries_move_the_bonus_balance_and_principal_cannot_eat_into_it(any_app):
    _, wallet = open_accounts()
    ledger.post(wallet, "topup", 1000, key="t1", cause_type="topup", bucket="principal")
    ledger.post(wallet, "bonus", 50, key="t1:bonus", cause_type="topup", bucket="bonus")
    assert (wallet.balance, wallet.bonus_balance) == (1050, 50)
    with pytest.raises(InsufficientBalance):
        ledger.post(wallet, "payment", -1001, key="p1", cause_type="sale", bucket="principal")
    ledger.post(wallet, "payment", -50, key="p2", cause_type="sale", bucket="bonus")
    assert (wallet.balance, wallet.bonus_balance) == (1000, 0)


def test_a_repeated_key_returns_the_first_entry(any_app):
    _, wallet = open_accounts()
    first = ledger.post(wallet, "topup", 500, key="t1", cause_type="topup", bucket="principal")
    again = ledger.post(wallet, "topup", 500, key="t1", cause_type="topup", bucket="principal")
    assert again.id == first.id
    assert wallet.balance == 500 and entry_count() == 1
    assert ledger.find_entry("t1").id == first.id
    assert ledger.find_entry("nope") is None


def test_a_key_reused_for_another_request_is_a_conflict(any_app):
    points, wallet = open_accounts()
    ledger.post(wallet, "topup", 500, key="t1", cause_type="topup", bucket="principal")
    with pytest.raises(DuplicateConflict):
        ledger.post(wallet, "topup", 600, key="t1", cause_type="topup", bucket="principal")
    with pytest.raises(DuplicateConflict):
        ledger.replay("t1", points)


@pytest.mark.parametrize("amount", [0, 1.5, True, "10"])
def test_amounts_are_nonzero_integers(any_app, amount):
    _, wallet = open_accounts()
    with pytest.raises(ValidationError):
        ledger.post(wallet, "topup", amount, key="t1", cause_type="topup", bucket="principal")


def test_stored_value_entries_name_a_bucket_and_points_entries_do_not(any_app):
    points, wallet = open_accounts()
    with pytest.raises(ValidationError):
        ledger.post(wallet, "topup", 100, key="t1", cause_type="topup")
    with pytest.raises(ValidationError):
        ledger.post(points, "earn", 100, key="e1", cause_type="sale", bucket="principal")


def test_lock_account_reads_the_committed_balance(any_app):
    _, wallet = open_accounts()
    db.session.commit()
    with db.engine.begin() as other:  # another connection tops up behind the ORM's back
        other.execute(text("UPDATE accounts SET balance = 700 WHERE id = :id"), {"id": wallet.id})
    assert ledger.lock_account(wallet.id).balance == 700


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError):
        ledger.utc(datetime(2026, 1, 1))
    shanghai_noon = datetime(2026, 1, 1, 12, tzinfo=timezone.utc).astimezone()
    assert ledger.utc(shanghai_noon).tzinfo == timezone.utc
