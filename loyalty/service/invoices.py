"""E-invoice requests (M18): a member picks a recent sale, a title and an email; the
request waits for the operators (models.invoice). Titles are saved per member and
offered again; they are personal data, deleted when the member is erased (the
on_erase hook at the bottom).

One request per sale: run_once on the sale's reference, and the unique sale_id behind it.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, select, update

from extensions import db
from loyalty.books.ledger import as_utc
from loyalty.errors import ValidationError
from loyalty.once import run_once
from loyalty.people import erasure
from models import InvoiceRequest, InvoiceTitle, Member, Sale, Station

RECENT = 5
MAX_NAME = 100
# Enough to refuse a typo (no @, no dot in the domain, spaces) without pretending to
# know every address a mail server accepts; the operators' mail bounce is the last check.
EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class Title:
    kind: str              # "personal" | "company"
    name: str
    tax_code: str | None   # the company's unified social credit code

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class InvoiceableSale:
    id: int
    at: datetime
    station: str
    amount_fen: int  # paid less refunded: what the invoice would be for


@dataclass(frozen=True)
class Request:
    id: int
    sale_id: int
    sale_at: datetime
    amount_fen: int
    title_name: str
    status: str
    invoice_no: str | None
    pdf_url: str | None


def check_email(text: str) -> str | None:
    """The address, stripped, when it looks deliverable (at most 254 characters); None otherwise."""
    text = (text or "").strip()
    return text if len(text) <= 254 and EMAIL.match(text) else None


def check_name(text: str) -> str | None:
    """A title's name (a person's or a company's): 1-100 characters, not only digits."""
    text = " ".join((text or "").split())
    return text if 0 < len(text) <= MAX_NAME and not text.isdigit() else None


def invoiceable_sales(member: Member, limit: int = RECENT) -> list[InvoiceableSale]:
    """The member's last `limit` sales with no request yet and something left after
    refunds, newest first. Reads only."""
    rows = db.session.execute(
        select(Sale.id, Sale.created_at, Station.name, Sale.payable_fen - Sale.refunded_fen)
        .join(Station, Station.id == Sale.station_id)
        .outerjoin(InvoiceRequest, InvoiceRequest.sale_id == Sale.id)
        .where(Sale.member_id == member.id, InvoiceRequest.id.is_(None), Sale.payable_fen > Sale.refunded_fen)
        .order_by(Sale.created_at.desc(), Sale.id.desc()).limit(limit))
    return [InvoiceableSale(i, as_utc(at), name, amount) for i, at, name, amount in rows]


def saved_titles(member: Member) -> list[Title]:
    """The member's saved titles, first saved first. Reads only."""
    rows = db.session.scalars(select(InvoiceTitle).where(InvoiceTitle.member_id == member.id)
                              .order_by(InvoiceTitle.id))
    return [Title(t.kind, t.name, t.tax_code) for t in rows]


def requests_of(member: Member, limit: int = RECENT) -> list[Request]:
    """The member's latest requests with their status, newest first. Reads only."""
    rows = db.session.execute(
        select(InvoiceRequest, Sale.created_at).join(Sale, Sale.id == InvoiceRequest.sale_id)
        .where(InvoiceRequest.member_id == member.id)
        .order_by(InvoiceRequest.created_at.desc(), InvoiceRequest.id.desc()).limit(limit))
    return [_request(r, at) for r, at in rows]


def _request(row: InvoiceRequest, sale_at: datetime) -> Request:
    return Request(row.id, row.sale_id, as_utc(sale_at), row.amount_fen, row.title_name, row.status,
                   row.invoice_no, row.pdf_url)


def request_invoice(member: Member, sale_id: int, title: Title, email: str, *,
                    now: datetime | None = None) -> tuple[Request, bool]:
    """Queue a request for sale `sale_id` (the member's, not fully refunded) with `title`
    and `email`, and save the title for next time if it is new. Returns (request,
    created): a sale already requested answers with its request, created False.
    ValidationError for another member's sale, one refunded in full, or a bad email.
    Commits (run_once)."""
    if check_email(email) is None:
        raise ValidationError("邮箱格式不正确", field="email")

    def first() -> Request | None:
        found = db.session.execute(select(InvoiceRequest, Sale.created_at).join(Sale, Sale.id == InvoiceRequest.sale_id)
                                   .where(InvoiceRequest.sale_id == sale_id)).first()
        if found is not None and found[0].member_id != member.id:
            raise ValidationError("这笔消费不能开票", field="sale")
        return None if found is None else _request(*found)

    def do() -> Request:
        sale = db.session.scalars(select(Sale).where(Sale.id == sale_id).with_for_update()).first()
        if sale is None or sale.member_id != member.id or sale.payable_fen <= sale.refunded_fen:
            raise ValidationError("这笔消费不能开票", field="sale")
        if title not in saved_titles(member):
            db.session.add(InvoiceTitle(member_id=member.id, kind=title.kind, name=title.name,
                                        tax_code=title.tax_code))
        row = InvoiceRequest(sale_id=sale.id, member_id=member.id, amount_fen=sale.payable_fen - sale.refunded_fen,
                             title_kind=title.kind, title_name=title.name, title_tax_code=title.tax_code,
                             email=email.strip(), status="requested", created_at=now or datetime.now(timezone.utc))
        db.session.add(row)
        db.session.flush()
        return _request(row, sale.created_at)

    done = run_once(f"invoice:sale:{sale_id}", first, do)
    return done.result, done.created


@erasure.on_erase
def _forget_invoice_data(member: Member) -> None:
    """Erasure: the saved titles go; the requests keep what an issued invoice records
    (the sale, amount, a company's title) but lose the email, and a person's name."""
    db.session.execute(delete(InvoiceTitle).where(InvoiceTitle.member_id == member.id))
    db.session.execute(update(InvoiceRequest).where(InvoiceRequest.member_id == member.id).values(email=None))
    db.session.execute(update(InvoiceRequest)
                       .where(InvoiceRequest.member_id == member.id, InvoiceRequest.title_kind == "personal")
                       .values(title_name="已注销"))
