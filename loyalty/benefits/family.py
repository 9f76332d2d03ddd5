"""Family accounts (M12): one points pool, owned by one member, that all members earn into.

Points follow the member into the pool. Creating a family, or joining one, moves the
member's live points into the pool as a transfer pair: a "transfer" entry debiting the
member's own account (lot movements emptying their lots) and a "transfer" entry crediting
the pool, which opens one pool lot per lot moved with the same earned, available and
expiry times, so moving never lengthens or shortens a point's life. Both accounts keep
balance = sum of entries = sum of lot remainders. Lots already past expiry stay behind
for the expiry run. From then on loyalty.people.members.account_of routes the member's points
(earning, spending) to the pool.

Each pool lot keeps the origin of the lot it came from (`origin_entry_id`), so a refund of
the sale that earned the points claws them back from the pool (loyalty.books.points).
Joins of one family queue on the family's row lock, so the size check counts what the
previous join committed; then the member's own account, then the pool, are locked: the
order a sale routing the member's points takes them in (loyalty.people.members.lock_accounts).

Leaving: the points stay in the pool (they were given to the family); the member earns
into their own account again. The owner cannot leave their family.
Redeeming from the pool: the owner always; another member when the owner allows it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from extensions import db
from loyalty.errors import LimitReached, NotAllowed, NotFound, ValidationError
from loyalty.books.ledger import lock_account, post, utc
from loyalty.people.members import normalise_phone
from loyalty.books.points.lots import move
from models import Account, Family, FamilyInvite, FamilyMember, Member, PointLot

INVITE_DAYS = 7
MAX_MEMBERS = 6  # owner included


def create(owner: Member, name: str, *, now: datetime | None = None) -> Family:
    """A new family owned by `owner`, with its points pool, the owner's points moved in.
    ValidationError when the owner is already in a family or the name is empty or too long."""
    now, name = utc(now), (name or "").strip()
    if owner.family_id is not None:
        raise ValidationError("您已加入一个家庭")
    if not name or len(name) > 32:
        raise ValidationError("家庭名称须为1-32个字", field="name")
    family = Family(name=name, owner_id=owner.id, created_at=now)
    db.session.add(family)
    db.session.flush()
    db.session.add(Account(kind="points", family_id=family.id, balance=0, bonus_balance=0))
    _enrol(owner, family, can_redeem=True, now=now)
    return family


def invite(family: Family, owner: Member, phone: str, *, now: datetime | None = None) -> FamilyInvite:
    """The owner invites a phone number (valid INVITE_DAYS days; inviting again renews it).
    NotAllowed unless `owner` owns the family; LimitReached when the family is full."""
    now = utc(now)
    _require_owner(family, owner)
    phone = normalise_phone(phone)
    if _size(family) >= MAX_MEMBERS:
        raise LimitReached(f"家庭最多{MAX_MEMBERS}人")
    invitee = db.session.scalars(select(Member).where(Member.phone == phone)).first()
    if invitee is not None and invitee.family_id == family.id:
        raise ValidationError("对方已是家庭成员")
    found = db.session.scalars(select(FamilyInvite).where(FamilyInvite.family_id == family.id,
                                                          FamilyInvite.phone == phone)).first()
    if found is None:
        found = FamilyInvite(family_id=family.id, phone=phone, invited_by=owner.id)
        db.session.add(found)
    found.created_at, found.expires_at, found.accepted_at = now, now + timedelta(days=INVITE_DAYS), None
    db.session.flush()
    return found


def join(member: Member, family: Family, *, now: datetime | None = None) -> FamilyMember:
    """The member accepts the family's live invitation of their phone; their points move
    into the pool. Joining again is a no-op. NotAllowed without a live invitation;
    ValidationError when already in another family; LimitReached when the family is full."""
    now = utc(now)
    if member.family_id == family.id:
        return db.session.get(FamilyMember, member.id)
    if member.family_id is not None:
        raise ValidationError("您已加入其他家庭，请先退出")
    found = db.session.scalars(select(FamilyInvite).where(
        FamilyInvite.family_id == family.id, FamilyInvite.phone == member.phone,
        FamilyInvite.accepted_at.is_(None), FamilyInvite.expires_at > now)).first()
    if found is None:
        raise NotAllowed("没有有效的家庭邀请")
    _lock(family)
    if _size(family) >= MAX_MEMBERS:
        raise LimitReached(f"家庭最多{MAX_MEMBERS}人")
    found.accepted_at = now
    return _enrol(member, family, can_redeem=False, now=now)


def leave(member: Member) -> None:
    """The member leaves their family; the points they brought or earned stay in the pool.
    NotAllowed for the owner; ValidationError when not in a family."""
    if member.family_id is None:
        raise ValidationError("您不在任何家庭中")
    family = db.session.get(Family, member.family_id)
    if family.owner_id == member.id:
        raise NotAllowed("户主不能退出家庭")
    db.session.delete(db.session.get(FamilyMember, member.id))
    member.family_id = None
    db.session.flush()


def set_can_redeem(family: Family, owner: Member, member: Member, allowed: bool) -> FamilyMember:
    """The owner allows or forbids a member to redeem from the pool. NotAllowed for anyone
    but the owner; NotFound when `member` is not in the family; the owner's own right
    cannot be taken away (ValidationError)."""
    _require_owner(family, owner)
    link = db.session.get(FamilyMember, member.id)
    if link is None or link.family_id != family.id:
        raise NotFound("该会员不是家庭成员")
    if member.id == family.owner_id:
        raise ValidationError("户主始终可以兑换")
    link.can_redeem = bool(allowed)
    db.session.flush()
    return link


def can_redeem(member: Member) -> bool:
    """May the member spend the points they earn into? Always outside a family; in one,
    the owner always, others when the owner allowed them."""
    if member.family_id is None:
        return True
    link = db.session.get(FamilyMember, member.id)
    owner_id = db.session.scalar(select(Family.owner_id).where(Family.id == member.family_id))
    return member.id == owner_id or bool(link and link.can_redeem)


def members(family: Family) -> list[FamilyMember]:
    """The family's members, the owner first, then by joining time."""
    return list(db.session.scalars(
        select(FamilyMember).where(FamilyMember.family_id == family.id)
        .order_by((FamilyMember.member_id != family.owner_id), FamilyMember.joined_at, FamilyMember.member_id)))


def _require_owner(family: Family, owner: Member) -> None:
    if family.owner_id != owner.id:
        raise NotAllowed("只有户主可以管理家庭")


def _lock(family: Family) -> None:
    """Lock the family row (before any account): joins of one family queue, and each
    counts what the previous one committed. SQLite: a no-op UPDATE takes the write lock."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Family).where(Family.id == family.id).values(name=Family.name)
                           .execution_options(synchronize_session=False))
    db.session.execute(select(Family.id).where(Family.id == family.id).with_for_update())


def _size(family: Family) -> int:
    return db.session.scalar(select(func.count()).select_from(FamilyMember)
                             .where(FamilyMember.family_id == family.id))


def _enrol(member: Member, family: Family, *, can_redeem: bool, now: datetime) -> FamilyMember:
    link = FamilyMember(member_id=member.id, family_id=family.id, can_redeem=can_redeem, joined_at=now)
    db.session.add(link)
    db.session.flush()  # the primary key on member_id: one family per member, even when racing
    _move_points_in(member, family, now)
    member.family_id = family.id
    db.session.flush()
    return link


def _move_points_in(member: Member, family: Family, now: datetime) -> None:
    # Always the member's own account first, then the pool: the same order everywhere,
    # so two members joining at once cannot deadlock.
    own = lock_account(db.session.scalars(select(Account.id).where(
        Account.member_id == member.id, Account.kind == "points")).one())
    pool = lock_account(db.session.scalars(select(Account.id).where(
        Account.family_id == family.id, Account.kind == "points")).one())
    lots = db.session.execute(
        select(PointLot.id, PointLot.origin_entry_id, PointLot.remaining, PointLot.earned_at,
               PointLot.available_at, PointLot.expires_at)
        .where(PointLot.account_id == own.id, PointLot.remaining > 0,
               (PointLot.expires_at.is_(None)) | (PointLot.expires_at > now))
        .order_by(PointLot.id)).all()
    total = sum(lot.remaining for lot in lots)
    if total == 0:
        return
    key = f"family:{family.id}:join:{member.id}:{now:%Y%m%dT%H%M%S.%f}"
    out = post(own, "transfer", -total, key=f"{key}:out", cause_type="family", cause_ref=str(family.id),
               memo="转入家庭积分池", now=now)
    move(out, [(lot.id, -lot.remaining) for lot in lots])
    into = post(pool, "transfer", total, key=f"{key}:in", cause_type="family", cause_ref=str(family.id),
                memo=f"{member.phone_masked}转入", now=now)
    # Each pool lot keeps the origin of the lot it came from: a refund of the sale that
    # earned them claws them back here (loyalty.books.points.claw_back).
    db.session.add_all(PointLot(account_id=pool.id, entry_id=into.id, origin_entry_id=lot.origin_entry_id,
                                amount=lot.remaining,
                                remaining=lot.remaining, earned_at=lot.earned_at,
                                available_at=lot.available_at, expires_at=lot.expires_at) for lot in lots)
    db.session.flush()
