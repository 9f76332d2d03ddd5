"""Earning, spending and clawing back points, lot by lot."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty import policy as policies
from loyalty.errors import DuplicateConflict, InsufficientPoints, ValidationError
from loyalty.books.ledger import find_entry, lock_account, post, replay, reversed_so_far, utc, whole
from loyalty.books.points.lots import move, open_lot, spendable_lots, spendable_total, take
from loyalty.policy import Policy
from models import Account, LedgerEntry, PointLot


def points_account(account_id: int) -> Account:
    """The points account, locked (see loyalty.books.ledger.lock_account); ValidationError for
    a stored-value account, so points never land in a wallet by mistake."""
    account = lock_account(account_id)
    if account.kind != "points":
        raise ValidationError("不是积分账户", field="account", account_id=account_id)
    return account


def earn(account: Account, points: int, *, key: str, cause_type: str, cause_ref: str | None = None,
         memo: str | None = None, now: datetime | None = None, policy: Policy | None = None,
         new: bool = False) -> LedgerEntry:
    """Credit `points` as a new lot: spendable after the policy's pending days, expiring
    at the end of the month `points_expiry_months` after `now` in Shanghai time (never
    when 0). A repeated key returns the first entry and opens no second lot.

    `new=True`: the caller already holds the points account's lock (a sale's
    loyalty.people.members.lock_member) and the key names what this transaction created,
    so the account is not locked again and no earlier entry is looked for."""
    whole(points, "points")
    now, policy = utc(now), policy or policies.current()
    if not new:
        account = points_account(account.id)
        existing = replay(key, account, kind="earn", amount=points)
        if existing is not None:
            return existing
    elif account.kind != "points":
        raise ValidationError("不是积分账户", field="account", account_id=account.id)
    entry = post(account, "earn", points, key=key, cause_type=cause_type, cause_ref=cause_ref,
                 memo=memo, now=now, new=True)
    open_lot(account, entry, points, now, policy)
    return entry


def spend(account: Account, points: int, *, key: str, cause_type: str, cause_ref: str | None = None,
          memo: str | None = None, now: datetime | None = None) -> LedgerEntry:
    """Debit `points` from the spendable lots, soonest expiry first (never-expiring last,
    ties by lot id), recording which lots gave how many so a refund can give exactly
    those back. InsufficientPoints, with nothing written, when the spendable points
    (pending and expired lots do not count) fall short."""
    whole(points, "points")
    now = utc(now)
    account = points_account(account.id)
    existing = replay(key, account, kind="spend", amount=-points)
    if existing is not None:
        return existing
    taken = take(spendable_lots(account.id, now), points)
    available = sum(n for _, n in taken)
    if available < points:
        raise InsufficientPoints(account_id=account.id, needed=points, spendable=available)
    entry = post(account, "spend", -points, key=key, cause_type=cause_type, cause_ref=cause_ref,
                 memo=memo, now=now)
    move(entry, [(lot_id, -n) for lot_id, n in taken])
    return entry


def claw_back(earn_entry: LedgerEntry, points: int, *, key: str, cause_type: str,
              cause_ref: str | None = None, now: datetime | None = None) -> LedgerEntry | None:
    """Take back up to `points` that `earn_entry` credited (a refunded sale's points).

    The points are taken where they are now: the account holding the newest lot of that
    earn (`origin_entry_id`), which is the family pool once a join moved them there, even
    after the member left. From that earn's own lots first (pending or not), then from
    that account's other spendable lots soonest expiry first. Never more than the earn
    gave minus what earlier claw-backs of it took. Shortfall policy: when the points
    were already spent, we take what is there and write the rest off (a balance never
    goes negative and we keep no debt); the entry's amount says what was really taken.
    Returns None when there was nothing to take."""
    whole(points, "points")
    now = utc(now)
    if earn_entry.kind != "earn":
        raise ValidationError("只能冲回积分入账", field="earn_entry", entry_id=earn_entry.id)
    existing = find_entry(key)
    if existing is not None:
        # Not `replay`: a retry may find the points (and so its entry) in the pool.
        if existing.kind != "reversal" or existing.reverses_id != earn_entry.id:
            raise DuplicateConflict(key=key)
        return existing
    account = _holder(earn_entry)
    # Earlier claw-backs reverse this earn with negative amounts, wherever they were taken.
    wanted = min(points, earn_entry.amount + reversed_so_far(earn_entry))
    own = db.session.execute(
        select(PointLot.id, PointLot.remaining)
        .where(PointLot.account_id == account.id, PointLot.origin_entry_id == earn_entry.id,
               PointLot.remaining > 0)
        .order_by(PointLot.id)).all()
    lots = [tuple(row) for row in own] + spendable_lots(account.id, now, exclude={row.id for row in own})
    taken = take(lots, wanted) if wanted > 0 else []
    total = sum(n for _, n in taken)
    if total == 0:
        return None
    entry = post(account, "reversal", -total, key=key, cause_type=cause_type, cause_ref=cause_ref,
                 reverses_id=earn_entry.id, now=now)
    move(entry, [(lot_id, -n) for lot_id, n in taken])
    return entry


def _holder(earn_entry: LedgerEntry) -> Account:
    """The account that holds `earn_entry`'s points now, locked.

    Locks the earn's own account first, then (if a join moved the points on) the pool:
    the order a join locks them in, so a claw-back and a join never deadlock. Each step
    reads again under its lock, so a join that committed meanwhile is seen."""
    account_id = earn_entry.account_id
    while True:
        account = points_account(account_id)
        newest = db.session.scalar(select(PointLot.account_id).where(PointLot.origin_entry_id == earn_entry.id)
                                   .order_by(PointLot.id.desc()).limit(1))
        if newest is None or newest == account.id:
            return account
        account_id = newest


def spendable(account: Account, now: datetime | None = None) -> int:
    """Points the member can spend now: lots past their pending period and not expired."""
    return spendable_total(account.id, utc(now))
