"""`flask loyalty check`: ok on sound books, exit 1 naming what is broken otherwise."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from extensions import db
from loyalty.books import invariants, points, stored_value
from loyalty.policy import Policy
from models import Account, Member

NOW = datetime(2026, 2, 1, 2, tzinfo=timezone.utc)


@pytest.fixture
def books(app):
    member = Member(phone="13800000001")
    db.session.add(member)
    db.session.flush()
    pts, wallet = (Account(kind=k, member_id=member.id, balance=0, bonus_balance=0)
                   for k in ("points", "stored_value"))
    db.session.add_all([pts, wallet])
    db.session.flush()
    points.earn(pts, 100, key="sale-1:earn", cause_type="sale", now=NOW, policy=Policy())
    points.spend(pts, 30, key="redeem-1", cause_type="redemption", now=NOW)
    stored_value.topup(wallet, 10000, key="pos-1", now=NOW)
    db.session.commit()
    return pts, wallet


def test_sound_books_check_ok(books, runner):
    result = runner.invoke(args=["loyalty", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ok: 2 accounts, 3 entries checked"


def test_a_balance_changed_behind_the_ledger_is_named(books, runner):
    pts, _ = books
    db.session.execute(text("UPDATE accounts SET balance = balance + 7 WHERE id = :id"), {"id": pts.id})
    db.session.commit()
    result = runner.invoke(args=["loyalty", "check"])
    assert result.exit_code == 1
    assert f"account {pts.id}: balance 77 but its entries sum to 70" in result.output
    assert f"points account {pts.id}: balance 77 but its lots hold 70" in result.output


def test_a_lot_emptied_without_a_movement_is_named(books, runner):
    pts, _ = books
    db.session.execute(text("UPDATE point_lots SET remaining = 0 WHERE account_id = :id"), {"id": pts.id})
    db.session.commit()
    problems = invariants.check(db.session)
    assert any("remaining 0 but amount 100 plus its movements -30 make 70" in p for p in problems)
    assert runner.invoke(args=["loyalty", "check"]).exit_code == 1
