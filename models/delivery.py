"""The delivery log and the subscription-notice acceptances (docs/pushes.md).

A Delivery is one attempt to push one outbox row on one channel: written as intent
(`sending`) before the call to WeChat, finished with its outcome after. A NoticeAcceptance
is one one-time subscription a member granted for one template: one notice spends it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId

OUTCOMES = ("sending", "sent", "skipped", "deferred", "failed", "retry", "unknown")


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_member_id_id", "member_id", "id"),
        Index("ix_deliveries_outbox_id", "outbox_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(BigId, ForeignKey("outbox.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    errcode: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]


class NoticeAcceptance(Base):
    """One acceptance of a subscription-notice template (WeChat's one-time subscription)."""

    __tablename__ = "notice_acceptances"
    __table_args__ = (
        Index("ix_notice_acceptances_openid_template", "openid", "template_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    template_id: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Spent by the notice of this outbox row; NULL: still available.
    used_at: Mapped[datetime | None]
    outbox_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("outbox.id", ondelete="SET NULL"))
    # WeChat's subscribe_msg_sent_event confirmed the notice arrived (or said why not).
    confirmed_at: Mapped[datetime | None]
    sent_status: Mapped[str | None] = mapped_column(String(32))
