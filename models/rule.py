"""Earning rules as data: a versioned rule set, its earning rules and its multipliers.

A load (loyalty.rules.loader) writes a whole new RuleSet and switches `active` to it in
one transaction; older sets stay, inactive, so the rules that priced an old sale can be
read back. Tier multipliers are not here: they are the tiers' own `points_multiplier`.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Numeric, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

STACKING = ("multiply", "best_of")
EARNING_KINDS = ("per_amount", "per_litre", "per_category")


class MultiplierKind(StrEnum):
    """What a points multiplier depends on; equal to its stored string ("weekday" == WEEKDAY).
    TIER multipliers come from the tiers' points_multiplier, never from a rule book's list."""
    TIER = "tier"
    IDENTITY = "identity"
    WEEKDAY = "weekday"
    BIRTHDAY = "birthday"
    CAMPAIGN = "campaign"


MULTIPLIER_KINDS = tuple(k.value for k in MultiplierKind if k is not MultiplierKind.TIER)


class RuleSet(Base):
    __tablename__ = "rule_sets"
    __table_args__ = (
        CheckConstraint("stacking IN ('multiply', 'best_of')", name="stacking_known"),
        CheckConstraint("cap_per_sale IS NULL OR cap_per_sale >= 0", name="cap_per_sale_not_negative"),
        CheckConstraint("cap_per_day IS NULL OR cap_per_day >= 0", name="cap_per_day_not_negative"),
        # At most one active set: two loads racing cannot both win.
        Index("uq_rule_sets_active", "active", unique=True,
              postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    stacking: Mapped[str] = mapped_column(String(16), default="multiply")
    cap_per_sale: Mapped[int | None] = mapped_column(BigInteger)  # None: no cap
    cap_per_day: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str | None] = mapped_column(String(255))  # the file it came from, if any
    loaded_at: Mapped[datetime] = mapped_column(server_default=func.now())

    earning_rules: Mapped[list["EarningRule"]] = relationship(order_by="EarningRule.position")
    multipliers: Mapped[list["PointsMultiplier"]] = relationship(order_by="PointsMultiplier.position")


class EarningRule(Base):
    """`points` per `per` units of a line: fen of amount, or millilitres for per_litre."""

    __tablename__ = "earning_rules"
    __table_args__ = (
        CheckConstraint("kind IN ('per_amount', 'per_litre', 'per_category')", name="kind_known"),
        CheckConstraint("points > 0 AND per > 0", name="rate_positive"),
        CheckConstraint("applies_to IS NULL OR applies_to IN ('all', 'fuel', 'shop')", name="applies_to_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(64))
    points: Mapped[int]
    per: Mapped[int] = mapped_column(BigInteger)
    applies_to: Mapped[str | None] = mapped_column(String(8))  # per_amount only
    grade_code: Mapped[str | None] = mapped_column(String(8))  # per_litre only
    category: Mapped[str | None] = mapped_column(String(32))  # per_category only


class PointsMultiplier(Base):
    """A factor on a sale's base points when its condition holds (see loyalty.rules.engine)."""

    __tablename__ = "points_multipliers"
    __table_args__ = (
        CheckConstraint("kind IN ('identity', 'weekday', 'birthday', 'campaign')", name="kind_known"),
        CheckConstraint("factor > 0", name="factor_positive"),
        CheckConstraint("birthday_scope IS NULL OR birthday_scope IN ('day', 'month')", name="birthday_scope_known"),
        CheckConstraint("start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
                        name="window_in_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(64))
    factor: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    identities: Mapped[list[str] | None] = mapped_column(JSON)  # identity
    weekdays: Mapped[list[int] | None] = mapped_column(JSON)  # weekday: ISO 1 = Monday .. 7
    # Business-time window inside the day, minutes from midnight, end exclusive (1440 = 24:00).
    start_minute: Mapped[int] = mapped_column(default=0)
    end_minute: Mapped[int] = mapped_column(default=1440)
    birthday_scope: Mapped[str | None] = mapped_column(String(8))  # birthday: day | month
    starts_at: Mapped[datetime | None]  # campaign, UTC, end exclusive
    ends_at: Mapped[datetime | None]
    stations: Mapped[list[str] | None] = mapped_column(JSON)  # campaign: station codes, None = all
