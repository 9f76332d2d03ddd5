"""The ledger: accounts, their append-only entries, point lots and lot movements.

Sign convention (one, everywhere): an entry's `amount` is what it does to the member's
balance — positive credits the member (earn, top-up, refund of a payment), negative
debits (spend, payment, expiry). An account's `balance` always equals the sum of its
entries' amounts and the database refuses a negative balance.

Points accounts hold lots: each earn entry creates a lot; every entry that changes a
lot records a LotMovement (negative when points leave the lot, positive when a refund
puts them back), so a lot's `remaining` = `amount` + the sum of its movements, and a
points account's balance = the sum of its lots' `remaining`.

Stored-value accounts keep principal and bonus apart: entries carry a `bucket`, and
`bonus_balance` = the sum of the bonus-bucket entries.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId



class AccountKind(StrEnum):
    """What an account holds; stored as its value, and equal to it ("points" == POINTS)."""
    POINTS = "points"
    STORED_VALUE = "stored_value"


ACCOUNT_KINDS = tuple(AccountKind)
ENTRY_KINDS = ("earn", "spend", "refund", "expire", "topup", "bonus", "payment", "adjustment",
               "reversal", "redemption", "transfer")


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('points', 'stored_value')", name="kind_known"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("bonus_balance >= 0 AND bonus_balance <= balance", name="bonus_within_balance"),
        CheckConstraint("(member_id IS NULL) <> (family_id IS NULL)", name="one_owner"),
        Index("uq_accounts_member_kind", "member_id", "kind", unique=True),
        Index("uq_accounts_family_kind", "family_id", "kind", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("bucket IS NULL OR bucket IN ('principal', 'bonus')", name="bucket_known"),
        Index("ix_ledger_entries_account_created", "account_id", "created_at"),
        Index("ix_ledger_entries_cause", "cause_type", "cause_ref"),
        # Refunds and claw-backs find what already reversed an entry (migration 0004).
        Index("ix_ledger_entries_reverses", "reverses_id", postgresql_where="reverses_id IS NOT NULL"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    bucket: Mapped[str | None] = mapped_column(String(16))
    # What caused it: ("sale", "<sale id>"), ("topup", ...), ("expiry", "<run>"), ...
    cause_type: Mapped[str] = mapped_column(String(16))
    cause_ref: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    # The entry this one reverses, for corrections (never edits or deletes).
    reverses_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    memo: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PointLot(Base):
    __tablename__ = "point_lots"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_within_amount"),
        # The expiry run and "oldest first" spending both scan by account and expiry.
        Index("ix_point_lots_account_expiry", "account_id", "expires_at"),
        Index("ix_point_lots_due", "expires_at", postgresql_where="remaining > 0"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    # The entry that first credited these points (the earn, or a reissuing refund): the
    # lot's own entry, or for a lot moved into a family pool the origin of the lot it came
    # from, so a refund claws the points back wherever they are now (migration 0008).
    origin_entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    earned_at: Mapped[datetime]
    # Points in a pending period cannot be spent before this moment.
    available_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]  # None: never expires


class LotMovement(Base):
    """Points leaving (negative) or returning to (positive) a lot, and the entry that did it."""

    __tablename__ = "lot_movements"
    __table_args__ = (CheckConstraint("amount <> 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id"), index=True)
    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("point_lots.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
