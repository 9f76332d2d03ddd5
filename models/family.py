"""Family accounts: a shared points pool owned by one member."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Family(Base):
    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id", use_alter=True, name="fk_families_owner"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FamilyMember(Base):
    """A member of a family pool; the owner decides who may redeem from it."""

    __tablename__ = "family_members"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    can_redeem: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FamilyInvite(Base):
    """The owner's invitation of a phone number; joining needs a live one.

    By phone rather than member id, so someone who is not a member yet can be invited
    and join once they bind that phone."""

    __tablename__ = "family_invites"
    __table_args__ = (UniqueConstraint("family_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"))
    phone: Mapped[str] = mapped_column(String(11), index=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
