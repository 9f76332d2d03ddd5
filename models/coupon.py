"""Coupon templates (what an operator configures) and coupons (one issued to one member).

Money in fen, litres in millilitres, percentages in basis points (1000 bp = 10% off).
A coupon is valid while `valid_from <= now < valid_until` (the end is exclusive), in UTC.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId

COUPON_KINDS = ("amount_off", "percent_off", "per_litre_off", "free_item", "bundle")
COUPON_STATUSES = ("issued", "used", "expired", "void")
COUPON_SOURCES = ("manual", "trigger", "redemption", "campaign", "upgrade", "birthday", "referral")


def _codes(raw: str | None) -> frozenset[str] | None:
    return None if not raw else frozenset(c.strip() for c in raw.split(",") if c.strip())


class CouponTemplate(Base):
    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint("kind IN ('amount_off', 'percent_off', 'per_litre_off', 'free_item', 'bundle')",
                        name="kind_known"),
        CheckConstraint("amount_fen IS NULL OR amount_fen > 0", name="amount_positive"),
        CheckConstraint("min_spend_fen >= 0", name="min_spend_not_negative"),
        CheckConstraint("percent_bp IS NULL OR (percent_bp > 0 AND percent_bp <= 10000)", name="percent_in_range"),
        CheckConstraint("cap_fen IS NULL OR cap_fen > 0", name="cap_positive"),
        CheckConstraint("per_litre_fen IS NULL OR per_litre_fen > 0", name="per_litre_positive"),
        CheckConstraint("valid_days IS NOT NULL OR valid_until IS NOT NULL", name="has_validity"),
        CheckConstraint("valid_days IS NULL OR valid_days >= 0", name="valid_days_not_negative"),
        # What each kind needs to compute its discount.
        CheckConstraint("kind NOT IN ('amount_off', 'bundle') OR amount_fen IS NOT NULL", name="amount_set"),
        CheckConstraint("kind <> 'percent_off' OR percent_bp IS NOT NULL", name="percent_set"),
        CheckConstraint("kind <> 'per_litre_off' OR per_litre_fen IS NOT NULL", name="per_litre_set"),
        CheckConstraint("kind <> 'free_item' OR item_sku IS NOT NULL OR item_category IS NOT NULL",
                        name="item_set"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    # amount_off and bundle: the amount taken off.
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    # amount_off and percent_off: what must be left to pay (after tier and member-day
    # discounts and earlier coupons) for the coupon to apply.
    min_spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    percent_bp: Mapped[int | None]
    cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    per_litre_fen: Mapped[int | None]
    # Comma-separated fuel grade codes ("92,95"); NULL: every grade. For per_litre_off,
    # percent_off and amount_off the coupon then counts only those fuel lines.
    grades: Mapped[str | None] = mapped_column(String(64))
    # free_item: the shop line given free, by SKU, or by category when no SKU is named.
    item_sku: Mapped[str | None] = mapped_column(String(64))
    item_category: Mapped[str | None] = mapped_column(String(32))
    # bundle: fuel of at least this many millilitres and shop lines of at least this amount.
    bundle_min_litres_ml: Mapped[int | None] = mapped_column(BigInteger)
    bundle_min_shop_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Validity: N business days after issue (0: the day of issue), or the fixed window;
    # with both, the relative window is cut at the fixed end.
    valid_days: Mapped[int | None]
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    # Comma-separated station codes; NULL: every station of the group.
    stations: Mapped[str | None] = mapped_column(String(512))
    # A non-stackable coupon is the only coupon on its sale.
    stackable: Mapped[bool] = mapped_column(default=True)
    # Inactive templates issue no new coupons; coupons already issued stay usable.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    @property
    def grade_codes(self) -> frozenset[str] | None:
        return _codes(self.grades)

    @property
    def station_codes(self) -> frozenset[str] | None:
        return _codes(self.stations)


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("status IN ('issued', 'used', 'expired', 'void')", name="status_known"),
        CheckConstraint("source IN ('manual', 'trigger', 'redemption', 'campaign', 'upgrade', 'birthday', "
                        "'referral')", name="source_known"),
        CheckConstraint("valid_until > valid_from", name="window_not_empty"),
        CheckConstraint("status <> 'used' OR used_at IS NOT NULL", name="used_has_time"),
        Index("ix_coupons_member_status", "member_id", "status"),
        # The expiry sweep and the expiring-soon reminder scan issued coupons by end of validity.
        Index("ix_coupons_status_valid_until", "status", "valid_until"),
        Index("ix_coupons_template_status", "template_id", "status"),
        # The dashboards' rollup reads a few days of coupons issued and used (migration 0019).
        Index("ix_coupons_issued_at", "issued_at"),
        Index("ix_coupons_used_at", "used_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"))
    issued_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8), default="issued")
    used_sale_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("sales.id"), index=True)
    used_at: Mapped[datetime | None]
    # Who issued it and why, made unique: a retried issue returns the first coupon.
    issue_key: Mapped[str] = mapped_column(String(128), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="manual")

    template: Mapped[CouponTemplate] = relationship(lazy="joined")
