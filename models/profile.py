"""Member profiles (computed nightly by loyalty.profiles.compute, never edited), the tag
rules operators edit in the console, and the tags the nightly run gives members.

Money in fen, fuel in millilitres, shares in per-mille: integers; visits per month and
the median interval are exact decimals. Times stored in UTC; weekday and hour are
Shanghai's (Monday 0)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Numeric, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class MemberProfile(Base):
    """One row per member (not erased) with at least one sale before the run's business
    day; figures over the window (365 Shanghai days before it) unless named otherwise."""

    __tablename__ = "member_profiles"
    __table_args__ = (
        CheckConstraint("r_score BETWEEN 1 AND 5 AND f_score BETWEEN 1 AND 5 AND m_score BETWEEN 1 AND 5",
                        name="scores_quintiles"),
        CheckConstraint("favourite_weekday BETWEEN 0 AND 6 AND favourite_hour BETWEEN 0 AND 23", name="week_clock"),
        Index("ix_member_profiles_segment", "rfm_segment", "member_id"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    visits_30d: Mapped[int]
    visits_90d: Mapped[int]
    visits_365d: Mapped[int]
    visits_per_month: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    avg_litres_ml: Mapped[int | None] = mapped_column(BigInteger)
    litres_365d_ml: Mapped[int] = mapped_column(BigInteger)
    amount_365d_fen: Mapped[int] = mapped_column(BigInteger)  # paid less refunded
    favourite_grade: Mapped[str | None] = mapped_column(String(8))
    favourite_weekday: Mapped[int | None] = mapped_column(SmallInteger)
    favourite_hour: Mapped[int | None] = mapped_column(SmallInteger)
    weekend_share_permille: Mapped[int | None]
    shop_share_permille: Mapped[int | None]
    first_visit_at: Mapped[datetime]
    last_visit_at: Mapped[datetime]
    days_since_last_visit: Mapped[int]
    median_interval_days: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    r_score: Mapped[int | None] = mapped_column(SmallInteger)
    f_score: Mapped[int | None] = mapped_column(SmallInteger)
    m_score: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_segment: Mapped[str] = mapped_column(String(24))
    computed_at: Mapped[datetime]


class TagRule(Base):
    """A rule-based tag: members whose profile meets `condition` (loyalty.profiles.tag_rules'
    language, validated on save) carry the tag after the next nightly run."""

    __tablename__ = "tag_rules"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    condition: Mapped[dict] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MemberTag(Base):
    __tablename__ = "member_tags"
    __table_args__ = (Index("ix_member_tags_tag", "tag_code", "member_id"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    tag_code: Mapped[str] = mapped_column(ForeignKey("tag_rules.code", ondelete="CASCADE"), primary_key=True)
