"""Sales at the pump and in the shop, their lines, discounts and refunds.

Money in fen, fuel in millilitres: integers throughout.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId


class Sale(Base):
    __tablename__ = "sales"
    __table_args__ = (
        # The POS may retry: its transaction number is unique per station.
        UniqueConstraint("station_id", "pos_txn_no"),
        CheckConstraint("gross_fen >= 0 AND discount_fen >= 0 AND payable_fen >= 0", name="money_not_negative"),
        CheckConstraint("payable_fen = gross_fen - discount_fen", name="payable_is_gross_less_discount"),
        CheckConstraint("pay_with IN ('balance', 'external')", name="pay_with_known"),
        Index("ix_sales_member_created", "member_id", "created_at"),
        # The survey producer (and later dashboards) read recent sales by time (migration 0017).
        Index("ix_sales_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    pos_txn_no: Mapped[str] = mapped_column(String(64))
    # A hash of the request body, to tell a retry (same body) from a conflict.
    request_hash: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    nozzle: Mapped[str | None] = mapped_column(String(16))
    gross_fen: Mapped[int] = mapped_column(BigInteger)
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    payable_fen: Mapped[int] = mapped_column(BigInteger)
    pay_with: Mapped[str] = mapped_column(String(16), default="external")
    paid_from_balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    litres_ml: Mapped[int] = mapped_column(BigInteger, default=0)
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    # The member-readable breakdown of points_earned: JSON [[label, points], ...].
    points_breakdown: Mapped[str | None] = mapped_column(String(2000))
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    lines: Mapped[list["SaleLine"]] = relationship(back_populates="sale", order_by="SaleLine.id")
    discounts: Mapped[list["SaleDiscount"]] = relationship(order_by="SaleDiscount.id")


class SaleLine(Base):
    __tablename__ = "sale_lines"
    __table_args__ = (
        CheckConstraint("kind IN ('fuel', 'shop')", name="kind_known"),
        CheckConstraint("amount_fen >= 0 AND litres_ml >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigId, ForeignKey("sales.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    grade_code: Mapped[str | None] = mapped_column(String(8))
    litres_ml: Mapped[int] = mapped_column(BigInteger, default=0)
    unit_price_fen: Mapped[int | None]
    category: Mapped[str | None] = mapped_column(String(32))
    sku: Mapped[str | None] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    sale: Mapped[Sale] = relationship(back_populates="lines")


class SaleDiscount(Base):
    __tablename__ = "sale_discounts"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigId, ForeignKey("sales.id"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    coupon_id: Mapped[int | None] = mapped_column(BigInteger)


class SaleRefund(Base):
    __tablename__ = "sale_refunds"
    __table_args__ = (UniqueConstraint("sale_id", "refund_no"),
                      # 0: the one refund of a sale paid wholly by coupons (migration 0008).
                      CheckConstraint("amount_fen >= 0", name="amount_not_negative"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigId, ForeignKey("sales.id"))
    refund_no: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    points_reversed: Mapped[int] = mapped_column(BigInteger, default=0)
    balance_returned_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Outbox(Base):
    """A side effect (a push) written in the same transaction as its cause, sent by a job."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The periodic producers' "at most once per member per N days" (recall, surveys)
        # and the survey reply's "within 24 h of the push" look up by member and kind.
        Index("ix_outbox_member_kind_created", "member_id", "kind", "created_at"),
        # The sweeper's and the fan-out's scan: only the rows still to deliver.
        Index("ix_outbox_unsent", "next_attempt_at", "id",
              postgresql_where=text("status IN ('pending', 'sending')"),
              sqlite_where=text("status IN ('pending', 'sending')")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(128), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    payload: Mapped[str] = mapped_column(String(4000))  # JSON
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    enqueued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # Delivery state (docs/pushes.md). Server defaults, so a set-based INSERT of kind,
    # dedup_key, member_id and payload alone gives a pending row.
    # pending -> sending (intent recorded) -> sent | skipped | failed | unknown
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    channel: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(server_default="0")
    # Not before this moment (quiet hours, backoff, the next day's quota); NULL: at once.
    # While `sending`, the lease: past it, the sweeper reconciles the row.
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
