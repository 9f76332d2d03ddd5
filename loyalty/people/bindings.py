"""Which member a WeChat openid belongs to, and binding / unbinding openids.

The one place the chat (and later the H5 pages) turns an openid into a member. `bind_phone`
and `unbind` commit; `member_by_openid` only reads. An erased member
(loyalty.people.erasure) has no bindings and is never returned.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty import generations
from loyalty.benefits import referral
from loyalty.people import members
from models import Member, WeChatBinding


def member_by_openid(openid: str) -> Member | None:
    """The member this openid is bound to, or None when it is bound to nobody.
    One indexed lookup (wechat_bindings.openid is unique); reads only, never flushes."""
    return db.session.scalars(
        select(Member).join(WeChatBinding, WeChatBinding.member_id == Member.id)
        .where(WeChatBinding.openid == openid, Member.deleted_at.is_(None))).first()


@dataclass(frozen=True)
class Bound:
    """The outcome of a bind: the member, whether it was created now, the openids the
    phone was moved away from (to be told), and whether anything changed at all."""

    member: Member
    created: bool
    moved_from: tuple[str, ...]
    changed: bool


def _member_for(phone: str) -> tuple[Member, bool]:
    # The phone's member, locked; created (trial tier, both accounts) when there is none.
    # Two first binds of one phone at once: the unique phone lets one insert win and the
    # other read the winner.
    query = select(Member).where(Member.phone == phone, Member.deleted_at.is_(None)).with_for_update()
    member = db.session.scalars(query).first()
    if member is not None:
        return member, False
    try:
        with db.session.begin_nested():
            return members.create_member(phone), True
    except IntegrityError:
        return db.session.scalars(query).one(), False


def bind_phone(openid: str, phone: str, *, terms_version: str, now: datetime | None = None) -> Bound:
    """Bind `openid` to the member with `phone` (normalised), the phone being proven by an
    SMS code, and record the consent to `terms_version` at `now`. The phone's member is
    found (a member created at the cashier is bound, not duplicated) or created. The phone
    moves: any other openid bound to it is unbound (returned in `moved_from`, to be told).
    A referral code the openid scanned before is rewarded (loyalty.benefits.referral).
    Binding again what is already bound changes nothing. Commits."""
    now = now or datetime.now(timezone.utc)
    member, created = _member_for(phone)
    others = tuple(db.session.scalars(select(WeChatBinding.openid).where(
        WeChatBinding.member_id == member.id, WeChatBinding.openid != openid)))
    if others:
        db.session.execute(delete(WeChatBinding).where(WeChatBinding.openid.in_(others)))
        generations.touch(*map(generations.openid, others))
    binding = db.session.scalars(select(WeChatBinding).where(WeChatBinding.openid == openid)
                                 .with_for_update()).first()
    changed = created or bool(others)
    if binding is None:
        db.session.add(WeChatBinding(openid=openid, member_id=member.id, bound_at=now))
        changed = True
    elif binding.member_id != member.id:
        binding.member_id, binding.bound_at = member.id, now
        changed = True
    if changed or member.consent_version != terms_version:
        member.consent_at, member.consent_version = now, terms_version
        changed = True
    if changed:
        # A referral QR this openid scanned before binding pays both sides, in this transaction.
        referral.reward_on_bind(member, openid, now=now)
    try:
        db.session.commit()
    except IntegrityError:
        # The same openid bound at the same moment by a twin message: theirs stands.
        db.session.rollback()
        member = member_by_openid(openid)
        if member is None:
            raise
        return Bound(member, False, (), False)
    return Bound(member, created, others, changed)


def unbind(openid: str) -> Member | None:
    """Remove this openid's binding (the member's other openids stay bound); returns the
    member it was bound to, or None when it was bound to nobody. Commits."""
    member = member_by_openid(openid)
    db.session.execute(delete(WeChatBinding).where(WeChatBinding.openid == openid))
    generations.touch(generations.openid(openid))
    db.session.commit()
    return member


def openids_of(member_id: int) -> list[str]:
    """Every openid bound to the member, oldest binding first. Reads only."""
    return list(db.session.scalars(select(WeChatBinding.openid).where(WeChatBinding.member_id == member_id)
                                   .order_by(WeChatBinding.id)))
