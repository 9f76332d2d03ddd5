"""Members: phone numbers (normalised, masked), creation, and their accounts."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from datetime import datetime, timezone

from sqlalchemy import bindparam, select, update

from extensions import db
from loyalty.errors import ValidationError
from models import Account, Member

_PHONE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII: \d takes any script's digits


def normalise_phone(raw: str) -> str:
    """A mainland mobile number as 11 ASCII digits: spaces, dashes and a +86/0086 prefix
    removed, full-width digits (a Chinese input method) read as ASCII. Raises
    ValidationError when what is left is not a mobile number."""
    text = unicodedata.normalize("NFKC", raw) if isinstance(raw, str) else ""  # １３８ -> 138
    digits = re.sub(r"[\s\-()]", "", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _PHONE.match(digits):
        raise ValidationError("手机号格式不正确", field="phone")
    return digits


def mask_phone(phone: str) -> str:
    """138****1234: how a phone number is shown or logged, everywhere."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def find_by_phone(phone: str) -> Member | None:
    """The member with this phone (any accepted spelling), or None; an erased member
    (loyalty.people.erasure) never, whatever its placeholder."""
    return db.session.scalars(select(Member).where(Member.phone == normalise_phone(phone),
                                                   Member.deleted_at.is_(None))).first()


def create_member(phone: str, *, identity: str = "private", tier_code: str | None = None,
                  consent: bool = False, **fields) -> Member:
    """A new member with empty points and stored-value accounts (flushed, not committed).
    `tier_code` puts them in that tier; otherwise loyalty.benefits.tiers assigns the starting tier."""
    from loyalty.benefits import tiers
    member = Member(phone=normalise_phone(phone), identity=identity,
                    consent_at=datetime.now(timezone.utc) if consent else None, **fields)
    db.session.add(member)
    db.session.flush()
    for kind in ("points", "stored_value"):
        db.session.add(Account(kind=kind, member_id=member.id, balance=0, bonus_balance=0))
    tiers.assign_starting_tier(member, tier_code)
    db.session.flush()
    return member


def _owned(member: Member, kind: str):
    # Points go to the family pool when the member is in one; stored value never does.
    if kind == "points" and member.family_id is not None:
        return (Account.family_id == member.family_id) & (Account.kind == kind)
    return (Account.member_id == member.id) & (Account.kind == kind)


def account_of(member: Member, kind: str) -> Account:
    """The member's account of that kind; points go to the family pool when the member is in one."""
    return db.session.scalars(select(Account).where(_owned(member, kind))).one()


def accounts_of(member: Member) -> dict[str, Account]:
    """Both of the member's accounts ({"points": ..., "stored_value": ...}) in one statement,
    unlocked; points are the family pool's when the member is in one."""
    found = db.session.scalars(select(Account).where(_owned(member, "points") | _owned(member, "stored_value")))
    return {a.kind: a for a in found}


@dataclass(frozen=True)
class Locked:
    member: Member  # read again after the lock
    accounts: dict[str, Account]  # {"points": ..., "stored_value": ...}, locked
    also: tuple  # the caller's extra columns, read with the member


def lock_accounts(member: Member) -> dict[str, Account]:
    """Both of the member's accounts ({"points": ..., "stored_value": ...}), locked for the
    rest of the caller's transaction; points are the family pool's when the member is in
    one (see lock_member)."""
    return lock_member(member.id).accounts


@cache
def _own_accounts():
    return (select(Account).where(Account.member_id == bindparam("member_id")).order_by(Account.id)
            .with_for_update().execution_options(populate_existing=True))


@lru_cache(maxsize=16)
def _member_with(also: tuple):
    return (select(Member, *also).where(Member.id == bindparam("member_id"))
            .execution_options(populate_existing=True))


def lock_member(member_id: int, also=(), params: dict | None = None) -> Locked | None:
    """Lock the member's accounts for the rest of the caller's transaction, then read the
    member row again (with `also`, scalar columns the caller needs current: a sale's
    points of the day and tier window; bound to :member_id and `params`) in one statement.
    None when there is no such member.

    The member's own accounts are locked first (one statement, id order), then the family
    is read again under that lock: a family join locks the member's own points account
    before it moves the points and sets `family_id`, so a sale routing here sees either
    the join committed (and earns into the pool) or not started (and the join, waiting
    for our lock, moves what we earn). Routing by a `family_id` read before the lock
    strands points in the own account. The pool is locked last, as a join locks it.
    See loyalty.books.ledger.lock_account for SQLite."""
    own = Account.member_id == member_id
    if db.session.get_bind().dialect.name == "sqlite":
        # No row locks: a no-op UPDATE takes the database's write lock before we read.
        db.session.execute(update(Account).where(own).values(balance=Account.balance)
                           .execution_options(synchronize_session=False))
    accounts = {a.kind: a for a in db.session.scalars(_own_accounts(), {"member_id": member_id})}
    if not accounts:
        return None
    # A statement of its own, after the lock: its snapshot sees what the lock waited for.
    row = db.session.execute(_member_with(tuple(also)), {**(params or {}), "member_id": member_id}).one()
    member = row[0]
    if member.family_id is not None:
        accounts["points"] = db.session.scalars(
            select(Account).where(_owned(member, "points")).with_for_update()
            .execution_options(populate_existing=True)).one()
    return Locked(member, accounts, tuple(row[1:]))
