"""The rewards catalogue (积分商城): items priced in points, and members' redemptions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId

REWARD_KINDS = ("coupon", "gift", "donation")
# A gift waits for pickup at a station; a coupon or a donation is done at once.
REDEMPTION_STATUSES = ("awaiting_pickup", "picked_up", "completed", "cancelled")


class RewardItem(Base):
    __tablename__ = "reward_items"
    __table_args__ = (
        CheckConstraint("kind IN ('coupon', 'gift', 'donation')", name="kind_known"),
        CheckConstraint("points_price > 0", name="price_positive"),
        # The last guard against overselling: the conditional decrement never goes below 0.
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("per_member_limit IS NULL OR per_member_limit > 0", name="limit_positive"),
        CheckConstraint("kind <> 'coupon' OR coupon_template_code IS NOT NULL", name="coupon_has_template"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(String(512))
    points_price: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int | None]  # None: unlimited
    # Units one member may redeem over the item's life; None: no limit.
    per_member_limit: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]  # exclusive
    coupon_template_code: Mapped[str | None] = mapped_column(ForeignKey("coupon_templates.code"))
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Redemption(Base):
    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("status IN ('awaiting_pickup', 'picked_up', 'completed', 'cancelled')",
                        name="status_known"),
        # The per-member limit counts a member's redemptions of one item.
        Index("ix_redemptions_member_item", "member_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("reward_items.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    points: Mapped[int] = mapped_column(BigInteger)
    # The client's idempotency key: a retried request returns this redemption.
    request_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    # Gifts: 8 random digits shown to the station staff at pickup.
    pickup_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    picked_up_at: Mapped[datetime | None]
    coupon_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("coupons.id"))
    spend_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    item: Mapped[RewardItem] = relationship(lazy="joined")
