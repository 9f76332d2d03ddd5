"""What operators change in the console about what members read: the template a notice
kind is sent with on a channel (overriding the NOTICE_TEMPLATES / SUBSCRIBE_TEMPLATES
defaults of config.py), and their own wording of a reply text (overriding the shipped
templates/replies/<name>.txt). Both are reference data: any change moves
reference_version (triggers, migration 0022), so every process reads them again."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class NoticeTemplate(Base):
    """One notice kind's template on one channel (loyalty.notices.templates)."""

    __tablename__ = "notice_templates"
    __table_args__ = (
        UniqueConstraint("channel", "kind"),
        CheckConstraint("channel IN ('template', 'subscribe')", name="channel_known"),
        CheckConstraint("NOT active OR length(template_id) > 0", name="active_has_template"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    # False: the kind has no template on this channel (the config default is switched off too).
    active: Mapped[bool] = mapped_column(default=True)
    template_id: Mapped[str] = mapped_column(String(64), default="")
    keys: Mapped[dict] = mapped_column(JSON, default=dict)  # template key ("thing1") -> the kind's field
    link: Mapped[str | None] = mapped_column(String(512))   # a template's url, a subscription's page
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class ReplyText(Base):
    """An operator's wording of one editable reply (loyalty.reply_texts); none: the shipped text."""

    __tablename__ = "reply_texts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # "feedback/done"
    text: Mapped[str] = mapped_column(String(2000))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
