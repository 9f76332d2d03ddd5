"""Members: one phone, one member; WeChat openids bound to them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.phone_tail import phone_tail

IDENTITIES = ("private", "taxi", "ride_hailing", "fleet", "enterprise")


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("identity IN ('private', 'taxi', 'ride_hailing', 'fleet', 'enterprise')",
                        name="identity_known"),
        # The console finds members by the last four digits of the phone.
        Index("ix_members_phone_tail", phone_tail("phone")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised: 11 digits, no country code or separators (see loyalty.people.members.normalise_phone).
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    identity: Mapped[str] = mapped_column(String(16), default="private")
    plate: Mapped[str | None] = mapped_column(String(16))
    vehicle_type: Mapped[str | None] = mapped_column(String(32))
    preferred_grade: Mapped[str | None] = mapped_column(String(8))
    birthday: Mapped[date | None]
    company: Mapped[str | None] = mapped_column(String(128))
    # The vehicle's first registration (行驶证 注册日期): when known, the inspection
    # reminders follow from it (loyalty.reminders.inspection).
    vehicle_registered_on: Mapped[date | None]
    consent_at: Mapped[datetime | None]
    # The PRIVACY_TERMS_VERSION consented to at `consent_at` (loyalty.people.bindings).
    consent_version: Mapped[str | None] = mapped_column(String(32))
    # Erased on the member's request (loyalty.people.erasure): no personal data left, the
    # phone a placeholder; never found by phone or openid again.
    deleted_at: Mapped[datetime | None]
    following: Mapped[bool] = mapped_column(default=False)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    tier_since: Mapped[datetime | None]
    # A new member's trial tier holds until this moment, whatever the metric says.
    trial_until: Mapped[datetime | None]
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    bindings: Mapped[list["WeChatBinding"]] = relationship(back_populates="member")

    @property
    def phone_masked(self) -> str:
        from loyalty.people.members import mask_phone
        return mask_phone(self.phone)

    def __repr__(self) -> str:  # never the full phone, even in a traceback
        return f"<Member {self.id} {self.phone_masked}>"


class WeChatBinding(Base):
    """An openid bound to a member (a member may use several WeChat accounts)."""

    __tablename__ = "wechat_bindings"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    bound_at: Mapped[datetime] = mapped_column(server_default=func.now())

    member: Mapped[Member] = relationship(back_populates="bindings")
