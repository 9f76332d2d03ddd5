"""What a member wants pushed to them, per category (set on the H5 profile page).

One row per member, written the first time they change anything; a member without a row
has the defaults below. Marketing is opt-in (PIPL: consent to marketing is separate).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

PUSH_CATEGORIES = ("service_notices", "reminders", "marketing")
PUSH_DEFAULTS = {"service_notices": True, "reminders": True, "marketing": False}


class PushPreference(Base):
    __tablename__ = "push_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    # Sales, refunds, top-ups, redemptions: what happened to the member's own account.
    service_notices: Mapped[bool] = mapped_column(default=True)
    # Points about to expire, coupons about to lapse, a tier review coming.
    reminders: Mapped[bool] = mapped_column(default=True)
    # Campaigns, offers, member days.
    marketing: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
