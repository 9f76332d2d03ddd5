"""Satisfaction survey replies: a member's 1-5 rating of one visit (sale).

One rating per sale, enforced by the database: a second reply changes nothing
(loyalty.reminders.surveys.record_reply inserts ON CONFLICT DO NOTHING).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId


class SurveyRating(Base):
    __tablename__ = "survey_ratings"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_in_range"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigId, ForeignKey("sales.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    # The survey notice (outbox row) the member answered.
    outbox_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("outbox.id"))
    rated_at: Mapped[datetime]
