"""Tiers (普通, 银卡, 金卡, 钻石 in the seed): thresholds and privileges."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


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
    points_multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("1"))
    perks: Mapped[str | None] = mapped_column(String(512))
    is_trial: Mapped[bool] = mapped_column(default=False)
    upgrade_reward_points: Mapped[int] = mapped_column(default=0)
    upgrade_reward_coupon: Mapped[str | None] = mapped_column(String(32))  # a coupon template code
