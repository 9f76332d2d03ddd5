"""A WeChat user who follows (or followed) the official account.

Kept apart from the loyalty member: a follower exists from the first event WeChat
sends, before any phone is bound. `last_message_at` opens WeChat's 48-hour window for
customer-service messages.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Follower(Base):
    __tablename__ = "followers"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    subscribed: Mapped[bool] = mapped_column(default=True)
    subscribed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    # The scene of the QR code that brought the follower in, if any.
    source_scene: Mapped[str | None] = mapped_column(String(64))
    last_message_at: Mapped[datetime | None]
