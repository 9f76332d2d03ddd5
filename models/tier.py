"""Tiers (普通, 银卡, 金卡, 钻石 in the seed): thresholds and privileges; the history of
each member's tier changes, and the upgrade rewards already given."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId

TIER_CHANGE_REASONS = ("initial", "upgrade", "downgrade", "trial_end")


class Tier(Base):
    __tablename__ = "tiers"
    __table_args__ = (
        CheckConstraint("threshold >= 0", name="threshold_not_negative"),
        CheckConstraint("per_litre_discount_fen >= 0", name="discount_not_negative"),
        CheckConstraint("points_multiplier > 0", name="multiplier_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(16))
    # Order from the lowest tier up; the threshold is in the qualifying metric's unit
    # (millilitres, fen or visits) over the rolling window.
    rank: Mapped[int] = mapped_column(unique=True)
    threshold: Mapped[int] = mapped_column(BigInteger, default=0)
    per_litre_discount_fen: Mapped[int] = mapped_column(default=0)
    # The tier's earning multiplier: the one source of "金卡 1.5倍" (loyalty.rules.engine reads it).
    points_multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("1"))
    perks: Mapped[str | None] = mapped_column(String(512))
    # A trial-only tier: given to new members (policy.tier_trial_code), never reached by the metric.
    is_trial: Mapped[bool] = mapped_column(default=False)
    upgrade_reward_points: Mapped[int] = mapped_column(default=0)
    upgrade_reward_coupon: Mapped[str | None] = mapped_column(String(32))  # a coupon template code


class TierChange(Base):
    """One change of a member's tier, with the metric value that decided it."""

    __tablename__ = "tier_changes"
    __table_args__ = (
        CheckConstraint("reason IN ('initial', 'upgrade', 'downgrade', 'trial_end')", name="reason_known"),
        Index("ix_tier_changes_member_at", "member_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    from_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    to_tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    reason: Mapped[str] = mapped_column(String(16))
    metric_value: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime]


class TierReward(Base):
    """An upgrade reward given: at most one per member, tier and reward window."""

    __tablename__ = "tier_rewards"
    __table_args__ = (UniqueConstraint("member_id", "tier_id", "window_start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    # The first business day of the member's reward window (see loyalty.benefits.tiers.reward_window_start).
    window_start: Mapped[date]
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    coupon_template: Mapped[str | None] = mapped_column(String(32))
    # No foreign key: coupons live in another migration branch; this is the issued coupon's id.
    coupon_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime]
    # Set when the review took the reward back (a refund undid the upgrade); a reversed
    # reward may be given again in the same window (migration 0008).
    reversed_at: Mapped[datetime | None]
