"""What a member sees of their own account in the chat and on the H5 pages: points
(with the family pool), stored value and coupons, as plain dataclasses. Reads only.

Dates a member reads are Asia/Shanghai dates; an end stored as an exclusive instant
(a lot's `expires_at`, a coupon's `valid_until`) is shown as the last day it still works.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, func, select

from extensions import db
from loyalty import generations
from loyalty.benefits import coupons as coupon_rules
from loyalty.books.ledger import as_utc, utc
from loyalty.people.members import account_of, mask_phone
from loyalty.policy import BUSINESS_TZ
from models import Account, Family, FamilyMember, LedgerEntry, Member, PointLot, Sale

RECENT = 3


def last_day(end: datetime) -> date:
    """The Shanghai date of the last moment before an exclusive end instant."""
    return (as_utc(end) - timedelta(microseconds=1)).astimezone(BUSINESS_TZ).date()


@dataclass(frozen=True)
class Movement:
    at: datetime
    kind: str  # the ledger entry kind: earn, spend, expire, topup, bonus, payment, ...
    amount: int  # points, or fen for stored value; signed as the member sees it
    bucket: str | None = None  # stored value: principal or bonus
    who: str | None = None  # in a family pool: the masked phone of who earned it


@dataclass(frozen=True)
class Expiring:
    points: int
    on: date  # the last Shanghai day these points can be used
    at: datetime | None = None  # the instant they expire (exclusive end)


@dataclass(frozen=True)
class Earner:
    phone: str  # masked
    points: int  # what they put into the pool: their sales' points in it and the points they brought
    is_owner: bool


@dataclass(frozen=True)
class PointsStatement:
    balance: int
    expiring: Expiring | None
    recent: list[Movement]
    family: str | None  # the pool's name when the points are a family pool's
    earners: list[Earner]  # who earned what, owner first; empty outside a family
    # What the statement was read from, as loyalty.generations names (a cache of it is good
    # while none of them changed), and when time alone changes it (the soonest expiry).
    sources: tuple[str, ...] = ()
    good_until: datetime | None = None


@dataclass(frozen=True)
class WalletStatement:
    principal_fen: int
    bonus_fen: int
    recent: list[Movement]


@dataclass(frozen=True)
class HeldCoupon:
    name: str
    valid_from: date
    valid_to: date  # the last day it can be used


def _recent(account: Account, *, family: bool = False) -> list[Movement]:
    rows = db.session.execute(
        select(LedgerEntry, Member.phone)
        .outerjoin(Sale, (LedgerEntry.cause_type == "sale") & (LedgerEntry.cause_ref == cast(Sale.id, String)))
        .outerjoin(Member, Member.id == Sale.member_id)
        .where(LedgerEntry.account_id == account.id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).limit(RECENT)).all()
    return [Movement(as_utc(e.created_at), e.kind, e.amount, e.bucket,
                     mask_phone(phone) if family and phone else None) for e, phone in rows]


def _expiring(account: Account, now: datetime) -> Expiring | None:
    # One round trip (the 积分 reply is on the chat's hot path): the soonest expiry and its sum.
    soonest = db.session.execute(
        select(PointLot.expires_at, func.sum(PointLot.remaining))
        .where(PointLot.account_id == account.id, PointLot.remaining > 0, PointLot.expires_at > now)
        .group_by(PointLot.expires_at).order_by(PointLot.expires_at).limit(1)).first()
    if soonest is None:
        return None
    return Expiring(int(soonest[1]), last_day(soonest[0]), as_utc(soonest[0]))


def _earners(account: Account, family: Family) -> list[Earner]:
    # What each member put into the pool: points their sales earned into it, plus the
    # points they brought when they joined (the transfer out of their own account).
    earned = db.session.execute(
        select(Sale.member_id, func.sum(LedgerEntry.amount))
        .join(Sale, cast(Sale.id, String) == LedgerEntry.cause_ref)
        .where(LedgerEntry.account_id == account.id, LedgerEntry.kind == "earn",
               LedgerEntry.cause_type == "sale")
        .group_by(Sale.member_id)).all()
    brought = db.session.execute(
        select(Account.member_id, -func.sum(LedgerEntry.amount))
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.kind == "transfer", LedgerEntry.cause_type == "family",
               LedgerEntry.cause_ref == str(family.id), Account.member_id.is_not(None))
        .group_by(Account.member_id)).all()
    put_in: dict[int, int] = {}
    for member_id, points in [*earned, *brought]:
        put_in[member_id] = put_in.get(member_id, 0) + int(points or 0)
    people = db.session.execute(
        select(Member.id, Member.phone).join(FamilyMember, FamilyMember.member_id == Member.id)
        .where(FamilyMember.family_id == family.id).order_by(FamilyMember.joined_at, Member.id)).all()
    found = [Earner(mask_phone(phone), put_in.get(mid, 0), mid == family.owner_id) for mid, phone in people]
    return sorted(found, key=lambda e: not e.is_owner)


def points_statement(member: Member, *, now: datetime | None = None) -> PointsStatement:
    """The member's points (their family pool's when in one): balance, the points that
    expire soonest and on which day, the last three movements, and in a family who earned what."""
    now = utc(now)
    account = account_of(member, "points")
    family = db.session.get(Family, member.family_id) if member.family_id else None
    expiring = _expiring(account, now)
    sources = (generations.EVERYTHING, generations.member(member.id), generations.account(account.id)) + (
        (generations.family(family.id),) if family else ())
    return PointsStatement(account.balance, expiring, _recent(account, family=family is not None),
                           family.name if family else None, _earners(account, family) if family else [],
                           sources, expiring.at if expiring else None)


def wallet_statement(member: Member) -> WalletStatement:
    """Stored value: principal and bonus in fen, and the last three movements."""
    account = account_of(member, "stored_value")
    return WalletStatement(account.balance - account.bonus_balance, account.bonus_balance, _recent(account))


def held_coupons(member: Member, *, now: datetime | None = None) -> list[HeldCoupon]:
    """Coupons the member can use now at any station, soonest to expire first."""
    return [HeldCoupon(c.template.name, as_utc(c.valid_from).astimezone(BUSINESS_TZ).date(), last_day(c.valid_until))
            for c in coupon_rules.usable(member, None, now)]
