"""The operators' inboxes: feedback tickets (assign, answer, close) and invoice requests
(mark issued with the invoice number and PDF link, or reject).

The member hears of an answer or an issued invoice through an outbox row (kind
`feedback_answer` / `invoice_issued`, written in the same transaction), which the push
sender delivers through the channel its policy allows. Every act writes a change record
(kind "feedback" / "invoice"), and each is safe to repeat: the same answer or the same
invoice number again changes nothing and writes no second push. Each commits.
A station manager sees and handles only their station's (loyalty.people.staff_scope).
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty import changes, outbox
from loyalty.books.ledger import utc
from loyalty.errors import NotFound, ValidationError
from loyalty.people.staff_scope import CONSOLE_ROLES, feedback_visible, invoices_visible, is_hq, require_console
from loyalty.service.feedback import ticket_number
from models import FeedbackTicket, InvoiceRequest, Staff

MAX_ANSWER = 1000
TICKET_FIELDS = ("status", "assignee_id", "answer", "answered_at", "closed_at")
INVOICE_FIELDS = ("status", "invoice_no", "pdf_url", "note")
_INVOICE_NO = re.compile(r"^[A-Za-z0-9\-]{1,64}$")
_URL = re.compile(r"^https?://[^\s<>\"']{3,490}$")


def tickets(staff: Staff, status: str | None = "open", limit: int = 100) -> list[FeedbackTicket]:
    """The tickets this staff may see, in one status (None: all), oldest first. Reads only."""
    query = select(FeedbackTicket).where(feedback_visible(staff)).order_by(FeedbackTicket.id).limit(limit)
    if status:
        query = query.where(FeedbackTicket.status == status)
    return list(db.session.scalars(query))


def ticket(staff: Staff, ticket_id: int) -> FeedbackTicket:
    """One ticket this staff may see, locked for the rest of the transaction; NotFound otherwise."""
    row = None
    if 0 < ticket_id < 2 ** 63:
        row = db.session.scalars(select(FeedbackTicket).where(FeedbackTicket.id == ticket_id, feedback_visible(staff))
                                 .with_for_update().execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound("工单不存在", field="ticket_id")
    return row


def _done(kind: str, row, fields, action: str, before: dict, staff: Staff, reason: str, now) -> None:
    changes.record(kind, str(row.id), action, staff=staff, reason=reason, before=before,
                   after=changes.snapshot(row, fields), now=now)
    db.session.commit()


def assign(staff: Staff, ticket_id: int, assignee: Staff, *, now: datetime | None = None) -> FeedbackTicket:
    """Put `assignee` on the ticket: a manager may take it themselves; HQ may give it to
    any console user who may see it."""
    require_console(staff)
    row = ticket(staff, ticket_id)
    if assignee is None or not assignee.active or assignee.role not in CONSOLE_ROLES or (
            not is_hq(staff) and assignee.id != staff.id):
        raise ValidationError("不能指派给该员工", field="assignee")
    try:
        ticket(assignee, ticket_id)  # the assignee must be able to see it too
    except NotFound:
        raise ValidationError("该员工无权查看这张工单", field="assignee") from None
    if row.assignee_id == assignee.id:
        db.session.commit()
        return row
    before = changes.snapshot(row, TICKET_FIELDS)
    row.assignee_id = assignee.id
    _done("feedback", row, TICKET_FIELDS, "assign", before, staff, f"指派给 {assignee.username}", utc(now))
    return row


def answer(staff: Staff, ticket_id: int, text: str, *, now: datetime | None = None) -> FeedbackTicket:
    """Answer the ticket; the member is told through the outbox (kind feedback_answer)."""
    now = utc(now)
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写回复内容", field="answer")
    if len(text) > MAX_ANSWER:
        raise ValidationError(f"回复最长 {MAX_ANSWER} 字", field="answer")
    changes.check_plain(text, "answer")
    row = ticket(staff, ticket_id)
    if row.status == "closed":
        raise ValidationError("工单已关闭", field="ticket_id")
    if row.answer == text:  # a double click
        db.session.commit()
        return row
    before = changes.snapshot(row, TICKET_FIELDS)
    row.answer, row.status, row.answered_at = text, "answered", now
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    outbox.add("feedback_answer", f"feedback_answer:{row.id}:{digest}",
               {"ticket_id": row.id, "number": ticket_number(row.id, row.created_at), "openid": row.openid,
                "answer": text}, member_id=row.member_id)
    _done("feedback", row, TICKET_FIELDS, "answer", before, staff, "回复会员", now)
    return row


def close(staff: Staff, ticket_id: int, *, now: datetime | None = None) -> FeedbackTicket:
    """Close the ticket (again: nothing changes)."""
    now = utc(now)
    row = ticket(staff, ticket_id)
    if row.status == "closed":
        db.session.commit()
        return row
    before = changes.snapshot(row, TICKET_FIELDS)
    row.status, row.closed_at = "closed", now
    _done("feedback", row, TICKET_FIELDS, "close", before, staff, "关闭工单", now)
    return row


def invoice_requests(staff: Staff, status: str | None = "requested", limit: int = 100) -> list[InvoiceRequest]:
    """The invoice requests this staff may see, in one status (None: all), oldest first."""
    query = select(InvoiceRequest).where(invoices_visible(staff)).order_by(InvoiceRequest.id).limit(limit)
    if status:
        query = query.where(InvoiceRequest.status == status)
    return list(db.session.scalars(query))


def _invoice(staff: Staff, request_id: int) -> InvoiceRequest:
    row = None
    if 0 < request_id < 2 ** 63:
        row = db.session.scalars(select(InvoiceRequest).where(InvoiceRequest.id == request_id,
                                                               invoices_visible(staff))
                                 .with_for_update().execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound("发票申请不存在", field="request_id")
    return row


def issue(staff: Staff, request_id: int, invoice_no: str, pdf_url: str, *, now: datetime | None = None) -> InvoiceRequest:
    """Mark the request issued with its invoice number and PDF link; the member is told
    (outbox kind invoice_issued). The same number again is a no-op; another one, once
    issued, is refused."""
    now = utc(now)
    invoice_no, pdf_url = (invoice_no or "").strip(), (pdf_url or "").strip()
    if not _INVOICE_NO.match(invoice_no):
        raise ValidationError("发票号码须为 1-64 位字母、数字或横线", field="invoice_no")
    if not _URL.match(pdf_url):
        raise ValidationError("PDF 链接须为 http(s) 地址", field="pdf_url")
    row = _invoice(staff, request_id)
    if row.status == "issued":
        if (row.invoice_no, row.pdf_url) == (invoice_no, pdf_url):
            db.session.commit()
            return row
        raise ValidationError("该申请已开票", field="request_id")
    if row.status != "requested":
        raise ValidationError("该申请已被拒绝", field="request_id")
    before = changes.snapshot(row, INVOICE_FIELDS)
    row.status, row.invoice_no, row.pdf_url, row.updated_at = "issued", invoice_no, pdf_url, now
    outbox.add("invoice_issued", f"invoice_issued:{row.id}",
               {"request_id": row.id, "sale_id": row.sale_id, "invoice_no": invoice_no, "pdf_url": pdf_url,
                "amount_fen": row.amount_fen}, member_id=row.member_id)
    _done("invoice", row, INVOICE_FIELDS, "issue", before, staff, f"开票 {invoice_no}", now)
    return row


def reject_invoice(staff: Staff, request_id: int, note: str, *, now: datetime | None = None) -> InvoiceRequest:
    """Turn the request down with a note the member's invoice records show."""
    now = utc(now)
    note = changes.require_reason(note, field="note")[:200]
    row = _invoice(staff, request_id)
    if row.status != "requested":
        raise ValidationError("该申请已处理", field="request_id")
    before = changes.snapshot(row, INVOICE_FIELDS)
    row.status, row.note, row.updated_at = "rejected", note, now
    outbox.add("invoice_rejected", f"invoice_rejected:{row.id}",
               {"request_id": row.id, "sale_id": row.sale_id, "amount_fen": row.amount_fen, "note": note},
               member_id=row.member_id)
    _done("invoice", row, INVOICE_FIELDS, "reject", before, staff, note, now)
    return row
