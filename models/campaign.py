"""Campaigns (docs/campaigns.md): saved segments, campaigns with arms and a holdout, and
the members who entered them (the assignment, recorded once, never re-drawn).

Money in fen; shares in basis points (10000 = all); times in UTC.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

CAMPAIGN_STATUSES = ("draft", "running", "paused", "stopped")
CONVERSIONS = ("visit", "sale_over", "coupon_used")


class Segment(Base):
    """A saved set of members as data: `filters` is a list of {"filter": name, ...params}
    (loyalty.campaigns.filters), all of which a member must match."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    filters: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Campaign(Base):
    """Segment + offer per arm + schedule (once, or a daily trigger) + a holdout share."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'running', 'paused', 'stopped')", name="status_known"),
        CheckConstraint("schedule IN ('once', 'trigger')", name="schedule_known"),
        CheckConstraint("conversion IN ('visit', 'sale_over', 'coupon_used')", name="conversion_known"),
        CheckConstraint("holdout_bp >= 0 AND holdout_bp < 10000", name="holdout_in_range"),
        CheckConstraint("window_days > 0 AND window_days <= 365", name="window_in_range"),
        CheckConstraint("cooldown_days IS NULL OR cooldown_days > 0", name="cooldown_positive"),
        CheckConstraint("schedule = 'once' OR trigger IS NOT NULL", name="trigger_set"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id"))
    schedule: Mapped[str] = mapped_column(String(8), default="once")
    # The daily trigger, as a filter of the registry: {"filter": "no_visit", "days": 14}.
    trigger: Mapped[dict | None] = mapped_column(JSON)
    # None: a member enters once ever; N: again after N days (same arm).
    cooldown_days: Mapped[int | None]
    holdout_bp: Mapped[int] = mapped_column(default=1000)
    window_days: Mapped[int] = mapped_column(default=14)
    conversion: Mapped[str] = mapped_column(String(16), default="visit")
    # sale_over: a sale paying at least this much counts.
    min_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8), default="draft")
    launched_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    segment: Mapped[Segment] = relationship(lazy="joined")
    arms: Mapped[list["CampaignArm"]] = relationship(order_by="CampaignArm.position", lazy="selectin")


class CampaignArm(Base):
    """A variant (its offer and messages) with a weight; the holdout is the arm with
    `holdout` set, whose share is the campaign's holdout_bp and which gets nothing."""

    __tablename__ = "campaign_arms"
    __table_args__ = (
        CheckConstraint("weight >= 0", name="weight_not_negative"),
        CheckConstraint("points IS NULL OR points > 0", name="points_positive"),
        Index("uq_campaign_arms_code", "campaign_id", "code", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    code: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    holdout: Mapped[bool] = mapped_column(default=False)
    weight: Mapped[int] = mapped_column(default=1)
    coupon_template_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_templates.id"))
    points: Mapped[int | None] = mapped_column(BigInteger)
    # Per channel: the chat message (custom) and the SMS text (marketing goes by no other
    # channel: never a template message or a subscription notice).
    message: Mapped[str | None] = mapped_column(String(300))
    sms_text: Mapped[str | None] = mapped_column(String(140))


class CampaignMember(Base):
    """A member's assignment to an arm, written when they first enter, never re-drawn;
    entries count the times they entered (a trigger with a cooldown lets them in again).

    No foreign keys (migration 0021): only loyalty.campaigns.entry writes these rows, set-
    based, from the members table and the campaign's own arms, neither of which is ever
    deleted once a campaign has members; for a million rows the checks cost six times the
    insert itself."""

    __tablename__ = "campaign_members"
    __table_args__ = (Index("ix_campaign_members_arm", "campaign_id", "arm_id"),)

    campaign_id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True)
    arm_id: Mapped[int]
    entered_at: Mapped[datetime]
    # entered_at + the campaign's window: the conversion window of this member.
    window_ends_at: Mapped[datetime]
    last_entered_at: Mapped[datetime]
    entries: Mapped[int] = mapped_column(default=1)
