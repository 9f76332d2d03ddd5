"""What the chat (and later the H5 family page) shows of a family besides the points:
the roster with who may redeem, and a member's pending invitation, which they accept
(loyalty.benefits.family.join) or decline here. Reads only, except `decline` (flushes)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty.benefits import family as families
from loyalty.books.ledger import utc
from loyalty.errors import NotFound
from loyalty.people.members import mask_phone
from models import Family, FamilyInvite, Member


@dataclass(frozen=True)
class Seat:
    member_id: int
    phone: str  # masked
    is_owner: bool
    can_redeem: bool


@dataclass(frozen=True)
class Invitation:
    invite_id: int
    family_id: int
    family: str  # the family's name
    owner_phone: str  # masked
    expires_at: datetime


def roster(family: Family) -> list[Seat]:
    """The family's members, the owner first (loyalty.benefits.family.members' order)."""
    links = families.members(family)
    phones = dict(db.session.execute(select(Member.id, Member.phone)
                                     .where(Member.id.in_([link.member_id for link in links]))).all())
    return [Seat(link.member_id, mask_phone(phones[link.member_id]),
                 link.member_id == family.owner_id, link.member_id == family.owner_id or link.can_redeem)
            for link in links]


def pending_invitation(member: Member, *, now: datetime | None = None) -> Invitation | None:
    """The newest live invitation of the member's phone to a family they are not in, or None."""
    row = db.session.execute(
        select(FamilyInvite, Family, Member.phone)
        .join(Family, Family.id == FamilyInvite.family_id).join(Member, Member.id == Family.owner_id)
        .where(FamilyInvite.phone == member.phone, FamilyInvite.accepted_at.is_(None),
               FamilyInvite.expires_at > utc(now))
        .order_by(FamilyInvite.created_at.desc(), FamilyInvite.id.desc())).first()
    if row is None or row[1].id == member.family_id:
        return None
    invite, family, owner_phone = row
    return Invitation(invite.id, family.id, family.name, mask_phone(owner_phone),
                      invite.expires_at)


def decline(member: Member, invite_id: int) -> None:
    """The member declines an invitation of their phone: it is removed (the owner may
    invite again). NotFound when it is not theirs or already gone. Flushes only."""
    invite = db.session.get(FamilyInvite, invite_id)
    if invite is None or invite.phone != member.phone or invite.accepted_at is not None:
        raise NotFound("邀请已失效")
    db.session.delete(invite)
    db.session.flush()
