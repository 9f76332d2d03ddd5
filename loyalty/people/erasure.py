"""Deleting a member's personal data on their request (PIPL), keeping the books whole.

The member row stays, flagged `deleted_at`, so ledger entries, point lots, stored value
and sales keep pointing at a real row and `flask loyalty check` holds; what identifies a
person goes:
    phone       -> a placeholder "D" + the id in ten digits (placeholder()): unique, 11
                   characters like a phone column wants, and never a mainland mobile
                   (those start with 1), so the real phone is free to register again and
                   no phone lookup ever finds the erased member
    plate, vehicle type, preferred grade, birthday, company, vehicle registration date -> empty
    every WeChat binding (openid) -> deleted
    the computed profile and tags (loyalty/profiles) -> deleted (the nightly run skips erased members)
    family invitations to the phone -> pending ones deleted, accepted ones keep the
                   placeholder (they record who joined)
Kept, because they are not about the person or are needed as proof: the id, identity
kind, tier, family membership, consent time and version, created_at.

Other rooms holding personal data hook in with `@on_erase`: a function of the member
called inside the same transaction, before the commit. loyalty/service/invoices.py
registers one: the saved invoice titles are deleted, the requests' emails blanked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import delete, select, update

from extensions import db
from loyalty import generations
from models import FamilyInvite, Member, MemberProfile, MemberTag, WeChatBinding

_hooks: list[Callable[[Member], None]] = []


def on_erase(hook: Callable[[Member], None]) -> Callable[[Member], None]:
    """Register `hook(member)`, run by erase_member before it commits (only flush there)."""
    _hooks.append(hook)
    return hook


def placeholder(member_id: int) -> str:
    """The phone column of an erased member: "D0000000042" for member 42."""
    return f"D{member_id:010d}"


@dataclass(frozen=True)
class Erased:
    member_id: int
    openids: tuple[str, ...]   # the bindings removed
    already: bool              # erased before: nothing changed now


def erase_member(member_id: int, *, now: datetime | None = None) -> Erased:
    """Anonymise member `member_id` (see the module docstring). Erasing twice changes
    nothing the second time. Commits."""
    member = db.session.scalars(select(Member).where(Member.id == member_id).with_for_update()
                                .execution_options(populate_existing=True)).one()
    if member.deleted_at is not None:
        db.session.rollback()
        return Erased(member_id, (), True)
    openids = tuple(db.session.scalars(select(WeChatBinding.openid).where(WeChatBinding.member_id == member_id)))
    db.session.execute(delete(WeChatBinding).where(WeChatBinding.member_id == member_id))
    db.session.execute(delete(MemberTag).where(MemberTag.member_id == member_id))
    db.session.execute(delete(MemberProfile).where(MemberProfile.member_id == member_id))
    generations.touch(*map(generations.openid, openids))
    phone, member.phone = member.phone, placeholder(member_id)
    db.session.execute(delete(FamilyInvite).where(FamilyInvite.phone == phone, FamilyInvite.accepted_at.is_(None)))
    db.session.execute(update(FamilyInvite).where(FamilyInvite.phone == phone).values(phone=member.phone))
    member.plate = member.vehicle_type = member.preferred_grade = member.company = None
    member.birthday = member.vehicle_registered_on = None
    member.deleted_at = now or datetime.now(timezone.utc)
    for hook in _hooks:
        hook(member)
    db.session.commit()
    return Erased(member_id, openids, False)
