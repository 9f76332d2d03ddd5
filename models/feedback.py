"""A member's feedback by chat (M13), kept as a ticket the operators' console answers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId

FEEDBACK_STATUSES = ("open", "answered", "closed")


class FeedbackTicket(Base):
    __tablename__ = "feedback_tickets"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'answered', 'closed')", name="status_known"),
        Index("ix_feedback_tickets_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Feedback is open to followers who never bound a phone: the member is optional.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    openid: Mapped[str] = mapped_column(String(64))
    # The WeChat message the text came in (its dedup key): one message, one ticket.
    message_key: Mapped[str] = mapped_column(String(128), unique=True)
    text: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open")
    answer: Mapped[str | None] = mapped_column(String(1000))
    answered_at: Mapped[datetime | None]
    # The console's inbox (migration 0018): who is on it, and when it was closed.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
