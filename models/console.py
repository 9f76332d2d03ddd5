"""What the operators' console writes beside the business tables: the change records
(an append-only audit trail of every configuration change and every audited act) and
manual adjustments of points and stored value (with their second-admin approval)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId

ADJUSTMENT_STATUSES = ("applied", "pending", "rejected")


class ChangeRecord(Base):
    """Who changed what, when, from what to what, and why. Never updated or deleted
    (PostgreSQL refuses both by trigger, migration 0018): a correction is a new record."""

    __tablename__ = "change_records"
    __table_args__ = (
        Index("ix_change_records_object", "kind", "object_key", "id"),
        Index("ix_change_records_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    # None only for changes made outside the console (a CLI load).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # What was changed: "rule_book", "tier", "coupon_template", "reward", "topup_bonus_rule",
    # or an audited act: "phone_reveal", "adjustment", "feedback", "invoice".
    kind: Mapped[str] = mapped_column(String(32))
    object_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))


class Adjustment(Base):
    """A manual adjustment of a member's points or stored value (loyalty.books.adjustments).

    `request_key` is the form's one-time key: a double click posts it twice and adjusts
    once. Above the approval threshold it waits `pending` for a second HQ admin; the
    database refuses an approver who is the requester."""

    __tablename__ = "adjustments"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("account_kind IN ('points', 'stored_value')", name="account_kind_known"),
        CheckConstraint("status IN ('applied', 'pending', 'rejected')", name="status_known"),
        CheckConstraint("length(reason) > 0", name="reason_given"),
        CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="four_eyes"),
        Index("ix_adjustments_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    account_kind: Mapped[str] = mapped_column(String(16))
    # What it does to the balance: points, or fen; positive credits.
    amount: Mapped[int] = mapped_column(BigInteger)
    # Stored value only: the bucket it moves ("principal" or "bonus").
    bucket: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
