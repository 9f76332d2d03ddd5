"""The inboxes (feedback: assign, answer, close; invoices: issue, reject) tell the member
through one outbox row each, once, and keep to the manager's station; the books-health
panel names the rows each broken invariant concerns."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from extensions import db
from loyalty import changes
from loyalty.errors import NotFound, ValidationError
from loyalty.service import inbox, invoices
from loyalty.service.feedback import open_ticket
from models import Member, Outbox, Sale, Staff
from tests.admin.fixtures import console, operator, staff_id  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401


def staff(username: str) -> Staff:
    return db.session.get(Staff, staff_id(username))


def tickets(console):
    east, west = (db.session.get(Member, console[k]) for k in ("east", "west"))
    one, _ = open_ticket("o-east", "加油机打印不出小票", message_key="m1", member=east)
    two, _ = open_ticket("o-west", "洗车排队太久", message_key="m2", member=west)
    return one.id, two.id


def outbox_rows(kind: str) -> list[Outbox]:
    return list(db.session.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)))


def test_an_answer_reaches_the_member_through_one_outbox_row_and_the_ticket_closes(console):
    east_ticket, west_ticket = tickets(console)
    inbox.assign(staff("wang"), east_ticket, staff("wang"))
    for _ in range(2):  # a double click answers once
        inbox.answer(staff("wang"), east_ticket, "已更换打印纸，感谢反馈")
    [row] = outbox_rows("feedback_answer")
    payload = json.loads(row.payload)
    assert (row.member_id, payload["answer"], payload["openid"]) == (console["east"], "已更换打印纸，感谢反馈", "o-east")
    inbox.close(staff("wang"), east_ticket)
    with pytest.raises(ValidationError):
        inbox.answer(staff("wang"), east_ticket, "补充说明")
    assert [c.action for c in changes.for_object("feedback", str(east_ticket))] == ["close", "answer", "assign"]
    # wang manages S001: the S002 member's ticket is not in his inbox, nor his to answer.
    assert [t.id for t in inbox.tickets(staff("wang"), None)] == [east_ticket]
    with pytest.raises(NotFound):
        inbox.answer(staff("wang"), west_ticket, "x")
    with pytest.raises(ValidationError):  # a manager cannot hand a ticket to someone else
        inbox.assign(staff("wang"), east_ticket, staff("hq"))
    assert {t.id for t in inbox.tickets(staff("hq"), None)} == {east_ticket, west_ticket}


def test_the_feedback_page_answers_and_shows_only_the_station_s_tickets(operator, console):
    east_ticket, west_ticket = tickets(console)
    qian = operator("qian")
    html = qian.get("/admin/feedback").get_data(as_text=True)
    assert "洗车排队太久" in html and "加油机打印不出小票" not in html
    assert qian.post(f"/admin/feedback/{east_ticket}/answer", {"answer": "x"}).status_code == 404
    assert qian.post(f"/admin/feedback/{west_ticket}/answer", {"answer": "已加派人手"}).status_code == 302
    assert json.loads(outbox_rows("feedback_answer")[0].payload)["answer"] == "已加派人手"


def invoice_request(console) -> int:
    east = db.session.get(Member, console["east"])
    sale = db.session.scalars(select(Sale).where(Sale.member_id == east.id)).one()
    found, _ = invoices.request_invoice(east, sale.id, invoices.Title("company", "杭州顺达物流有限公司",
                                                                      "91330100MA2B3C4D5E"), "fp@shunda.example")
    return found.id


def test_an_issued_invoice_tells_the_member_once_and_cannot_be_issued_again_differently(console):
    request_id = invoice_request(console)
    url = "https://invoices.example/fp/INV-2026-0001.pdf"
    for _ in range(2):
        inbox.issue(staff("wang"), request_id, "INV-2026-0001", url)
    [row] = outbox_rows("invoice_issued")
    assert json.loads(row.payload) | {} == {"request_id": request_id, "sale_id": json.loads(row.payload)["sale_id"],
                                           "invoice_no": "INV-2026-0001", "pdf_url": url, "amount_fen": 30600}
    with pytest.raises(ValidationError):
        inbox.issue(staff("wang"), request_id, "INV-2026-0002", url)
    with pytest.raises(NotFound):  # qian manages S002; the sale was at S001
        inbox.issue(staff("qian"), request_id, "INV-2026-0001", url)
    for bad in (("", url), ("INV 1", url), ("INV-1", "javascript:alert(1)")):
        with pytest.raises(ValidationError):
            inbox.issue(staff("hq"), request_id, *bad)
    [record] = changes.for_object("invoice", str(request_id))
    assert (record.before["status"], record.after["status"], record.after["invoice_no"]) == (
        "requested", "issued", "INV-2026-0001")


def test_a_rejected_invoice_request_keeps_its_note_and_tells_the_member_why(operator, console):
    request_id = invoice_request(console)
    resp = operator("hq").post(f"/admin/invoices/{request_id}/reject", {"note": "抬头与税号不符"})
    assert resp.status_code == 302 and outbox_rows("invoice_issued") == []
    assert inbox.invoice_requests(staff("hq"), "rejected")[0].note == "抬头与税号不符"
    [row] = outbox_rows("invoice_rejected")
    assert (row.member_id, json.loads(row.payload)["note"], json.loads(row.payload)["amount_fen"]) == (
        console["east"], "抬头与税号不符", 30600)


def test_every_kind_the_inboxes_write_is_one_the_push_sender_delivers():
    """An undeclared kind would sit in the outbox, skipped as a bad payload."""
    from loyalty import outbox
    from loyalty.notices.kinds import Kind
    assert {"feedback_answer", "invoice_issued", "invoice_rejected"} <= {k.value for k in Kind}
    with pytest.raises(ValueError):
        outbox.add("feedback_answr", "k", {})


def test_the_books_panel_names_the_rows_of_each_violation(operator, console):
    hq = operator("hq")
    assert "账务一致" in hq.get("/admin/books").get_data(as_text=True)
    account_id = db.session.execute(text("SELECT id FROM accounts WHERE member_id = :m AND kind = 'points'"),
                                    {"m": console["east"]}).scalar_one()
    # Break the books behind the ledger's back: the balance no longer matches entries or lots.
    db.session.execute(text("UPDATE accounts SET balance = balance + 7 WHERE id = :a"), {"a": account_id})
    db.session.commit()
    html = hq.get("/admin/books").get_data(as_text=True)
    assert f"account {account_id}: balance 47 but its entries sum to 40" in html
    assert f"points account {account_id}: balance 47 but its lots hold 40" in html
    assert html.count(f"accounts #{account_id}") == 2 and "发现 2 处不一致" in html
