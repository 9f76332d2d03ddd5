"""E-invoice requests for sales (M18) and the members' saved invoice titles.

A request is queued for operators (a tax-platform integration is out of scope): they
issue the invoice and fill in its number and PDF link, or reject it. One request per
sale, enforced by the unique sale_id. The title is copied onto the request, so editing
or erasing a saved title never changes what was asked for.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId

TITLE_KINDS = ("personal", "company")
INVOICE_STATUSES = ("requested", "issued", "rejected")


class InvoiceTitle(Base):
    __tablename__ = "invoice_titles"
    __table_args__ = (CheckConstraint("kind IN ('personal', 'company')", name="kind_known"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    # The 18-character unified social credit code of a company title; None for a person.
    tax_code: Mapped[str | None] = mapped_column(String(18))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class InvoiceRequest(Base):
    __tablename__ = "invoice_requests"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'issued', 'rejected')", name="status_known"),
        CheckConstraint("title_kind IN ('personal', 'company')", name="title_kind_known"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_invoice_requests_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigId, ForeignKey("sales.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # What the sale came to after its refunds when the member asked, in fen.
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    title_kind: Mapped[str] = mapped_column(String(16))
    title_name: Mapped[str] = mapped_column(String(100))
    title_tax_code: Mapped[str | None] = mapped_column(String(18))
    # Where the PDF goes; None once the member is erased.
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    # Filled by the operators' console when the invoice is issued (or why it was rejected).
    invoice_no: Mapped[str | None] = mapped_column(String(64))
    pdf_url: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None]
