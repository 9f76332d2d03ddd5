"""Manual adjustments: a reason is required, a double click adjusts once, above the
threshold a second HQ admin must approve (never the one who asked), every one audited,
the books stay sound."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty import changes
from loyalty.books import adjustments, invariants
from loyalty.errors import DuplicateConflict, InsufficientBalance, InsufficientPoints, NotAllowed, ValidationError
from loyalty.people.members import account_of
from models import Adjustment, LedgerEntry, Member, Staff
from tests.admin.fixtures import console, operator, staff_id  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401


def staff(username: str) -> Staff:
    return db.session.get(Staff, staff_id(username))


def balance(member_id: int, kind: str = "points") -> int:
    db.session.expire_all()
    return account_of(db.session.get(Member, member_id), kind).balance


def test_a_reason_is_required_and_nothing_moves_without_one(console):
    east = db.session.get(Member, console["east"])
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError) as caught:
            adjustments.request(east, "points", 50, reason=reason, key=f"k-{reason!r}", staff=staff("hq"))
        assert caught.value.details["field"] == "reason"
    assert db.session.query(Adjustment).count() == 0 and balance(east.id) == 40


def test_the_same_key_twice_adjusts_once_and_another_amount_under_it_is_a_conflict(console):
    east = db.session.get(Member, console["east"])
    first = adjustments.request(east, "points", 50, reason="补录漏记积分", key="form-1", staff=staff("hq"))
    again = adjustments.request(east, "points", 50, reason="补录漏记积分", key="form-1", staff=staff("hq"))
    assert (first.created, again.created) == (True, False) and first.result.id == again.result.id
    assert balance(east.id) == 40 + 50
    assert db.session.scalar(select(db.func.count()).select_from(LedgerEntry)
                             .where(LedgerEntry.cause_type == "adjustment")) == 1
    with pytest.raises(DuplicateConflict):
        adjustments.request(east, "points", 60, reason="补录漏记积分", key="form-1", staff=staff("hq"))
    assert balance(east.id) == 90


def test_a_double_click_on_the_page_adjusts_once(operator, console):
    hq = operator("hq")
    form = {"account_kind": "points", "amount": "25", "reason": "加油机故障补分", "key": "page-key-1"}
    path = f"/admin/members/{console['east']}/adjustments"
    assert [hq.post(path, form).status_code for _ in range(2)] == [302, 302]
    assert balance(console["east"]) == 40 + 25 and db.session.query(Adjustment).count() == 1
    page = hq.get(f"/admin/members/{console['east']}").get_data(as_text=True)
    assert "加油机故障补分" in page and "已入账" in page
    # Without a reason the page says so and nothing is written.
    resp = hq.post(path, dict(form, reason="", key="page-key-2"))
    assert resp.status_code == 400 and "请填写原因" in resp.get_data(as_text=True)
    assert db.session.query(Adjustment).count() == 1


def test_above_the_threshold_a_second_hq_admin_approves_never_the_requester(console, app):
    app.config.update(LOYALTY_ADJUSTMENT_APPROVAL_POINTS=1000)  # the default, said aloud
    east = db.session.get(Member, console["east"])
    at_limit = adjustments.request(east, "points", 1000, reason="团购补分", key="a", staff=staff("hq")).result
    assert at_limit.status == "applied" and balance(east.id) == 1040  # 1000 is not above 1000
    app.config.update(LOYALTY_ADJUSTMENT_APPROVAL_POINTS=999)
    big = adjustments.request(east, "points", -999, reason="冲正", key="b", staff=staff("hq")).result
    assert big.status == "applied"  # |-999| is not above 999: a debit counts by its size
    assert balance(east.id) == 1040 - 999
    app.config.update(LOYALTY_ADJUSTMENT_APPROVAL_POINTS=1000)
    pending = adjustments.request(east, "points", 1001, reason="大额补偿", key="c", staff=staff("hq")).result
    assert pending.status == "pending" and balance(east.id) == 41 and pending.ledger_entry_id is None
    with pytest.raises(NotAllowed):
        adjustments.approve(pending.id, staff=staff("hq"))  # the requester
    with pytest.raises(NotAllowed):
        adjustments.approve(pending.id, staff=staff("wang"))  # a station manager
    assert balance(east.id) == 41
    done = adjustments.approve(pending.id, staff=staff("hq2"))
    again = adjustments.approve(pending.id, staff=staff("hq2"))  # a double click on 批准
    assert (done.created, again.created) == (True, False) and balance(east.id) == 41 + 1001
    assert done.result.status == "applied" and done.result.decided_by == staff_id("hq2")
    with pytest.raises(ValidationError):
        adjustments.reject(pending.id, staff=staff("hq2"), reason="晚了")  # already decided
    assert [c.action for c in changes.for_object("adjustment", str(pending.id))] == ["approve", "request"]
    assert invariants.check(db.session) == []


def test_a_rejected_adjustment_moves_nothing_and_the_database_refuses_self_approval(console, app):
    app.config.update(LOYALTY_ADJUSTMENT_APPROVAL_FEN=10000)
    west = db.session.get(Member, console["west"])
    row = adjustments.request(west, "stored_value", 20000, reason="充值未到账", key="sv", staff=staff("hq")).result
    assert row.status == "pending"
    rejected = adjustments.reject(row.id, staff=staff("hq2"), reason="已核实到账").result
    assert rejected.status == "rejected" and balance(west.id, "stored_value") == 0
    other = adjustments.request(west, "stored_value", 20001, reason="x", key="sv2", staff=staff("hq")).result
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE adjustments SET decided_by = requested_by WHERE id = :id"), {"id": other.id})
        db.session.flush()
    db.session.rollback()


def test_stored_value_moves_the_chosen_bucket_and_a_debit_never_goes_negative(console):
    east = db.session.get(Member, console["east"])
    adjustments.request(east, "stored_value", 300, reason="赠送补偿", key="bonus", bucket="bonus", staff=staff("hq"))
    adjustments.request(east, "stored_value", 1000, reason="补录充值", key="principal", staff=staff("hq"))
    db.session.expire_all()
    wallet = account_of(east, "stored_value")
    assert (wallet.balance, wallet.bonus_balance) == (1300, 300)
    with pytest.raises(InsufficientBalance):  # principal is 1000: taking 1001 would eat the bonus
        adjustments.request(east, "stored_value", -1001, reason="冲正", key="too-much", staff=staff("hq"))
    with pytest.raises(InsufficientPoints):
        adjustments.request(east, "points", -41, reason="冲正", key="too-many", staff=staff("hq"))
    assert db.session.query(Adjustment).count() == 2 and balance(east.id) == 40
    assert invariants.check(db.session) == []


def test_only_an_hq_admin_adjusts_and_every_adjustment_is_on_record(console):
    east = db.session.get(Member, console["east"])
    with pytest.raises(NotAllowed):
        adjustments.request(east, "points", 5, reason="r", key="m", staff=staff("wang"))
    row = adjustments.request(east, "points", -5, reason="误加冲回", key="n", staff=staff("hq")).result
    [record] = changes.for_object("adjustment", str(row.id))
    assert (record.staff, record.action, record.reason) == ("hq", "apply", "误加冲回")
    assert record.after["amount"] == -5 and record.after["status"] == "applied"
