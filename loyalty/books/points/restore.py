"""Giving back the points a spend took, to exactly the lots it took them from.

Partial restores walk the spend's lots latest-expiring first (never-expiring first of
all, ties by the newest lot): the reverse of the order the spend took them in, so a
refund of part of a redemption leaves the member as if they had spent less, and the
member keeps the longest-lived points. Because expiry is monotonic in time, that walk
meets every still-valid lot before any expired one.

A lot that expired between the spend and the restore follows
`Policy.refund_expired_lots`: "forfeit" gives nothing back for it (the points would have
expired anyway), "reissue" opens a fresh lot for them, expiring like newly earned points.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from extensions import db
from loyalty import policy as policies
from loyalty.errors import ValidationError
from loyalty.books.ledger import as_utc, post, replay, utc, whole
from loyalty.books.points.lots import move, open_lot
from loyalty.books.points.operations import points_account
from loyalty.policy import Policy
from models import LedgerEntry, LotMovement, PointLot


def restore(spend_entry: LedgerEntry, points: int | None = None, *, key: str, cause_type: str,
            cause_ref: str | None = None, now: datetime | None = None,
            policy: Policy | None = None) -> LedgerEntry | None:
    """Give back `points` (all that is still outstanding when None) of what `spend_entry`
    took, as one "refund" entry reversing it. Asking for more than is outstanding gives
    back what is outstanding (rounding in proportional sale refunds must not fail a
    refund). Returns None when nothing is given back (all forfeited, or nothing left)."""
    if points is not None:
        whole(points, "points")
    now, policy = utc(now), policy or policies.current()
    account = points_account(spend_entry.account_id)
    if spend_entry.kind != "spend":
        raise ValidationError("只能退还积分支出", field="spend_entry", entry_id=spend_entry.id)
    existing = replay(key, account, kind="refund")
    if existing is not None:
        return existing

    wanted = points
    back, reissue = [], 0
    for lot_id, outstanding, expires_at in _outstanding(spend_entry):
        n = outstanding if wanted is None else min(outstanding, wanted)
        if n <= 0:
            continue
        if wanted is not None:
            wanted -= n
        if expires_at is not None and as_utc(expires_at) <= now:
            if policy.refund_expired_lots == "reissue":
                reissue += n
            # "forfeit": the points stay gone; nothing recorded, see _outstanding.
        else:
            back.append((lot_id, n))
    total = sum(n for _, n in back) + reissue
    if total == 0:
        return None
    entry = post(account, "refund", total, key=key, cause_type=cause_type, cause_ref=cause_ref,
                 reverses_id=spend_entry.id, now=now)
    move(entry, back)
    if reissue:
        open_lot(account, entry, reissue, now, policy, pending=False)
    return entry


def _outstanding(spend_entry: LedgerEntry) -> list[tuple[int, int, datetime | None]]:
    """(lot id, points not yet given back, expires_at) for each lot the spend took from,
    in restore order.

    Points given back to a valid lot are that lot's positive movements by earlier
    restores; reissued points are counted against the walk's lots in the same order
    they were reissued in, which is exact because reissues only ever happen on the
    expired tail of the walk. Forfeited points are not recorded: they sit at that same
    tail, so walking over them again can only forfeit them again, never take a valid
    lot's turn."""
    restores = (select(LedgerEntry.id)
                .where(LedgerEntry.account_id == spend_entry.account_id,
                       LedgerEntry.reverses_id == spend_entry.id))
    given = (select(LotMovement.lot_id, func.sum(LotMovement.amount).label("given"))
             .where(LotMovement.entry_id.in_(restores)).group_by(LotMovement.lot_id).subquery())
    rows = db.session.execute(
        select(PointLot.id, -func.sum(LotMovement.amount), PointLot.expires_at,
               func.coalesce(func.max(given.c.given), 0))
        .join(LotMovement, LotMovement.lot_id == PointLot.id)
        .outerjoin(given, given.c.lot_id == PointLot.id)
        .where(LotMovement.entry_id == spend_entry.id)
        .group_by(PointLot.id, PointLot.expires_at)
        .order_by(PointLot.expires_at.desc().nulls_first(), PointLot.id.desc())).all()
    reissued = int(db.session.scalar(
        select(func.coalesce(func.sum(PointLot.amount), 0))
        .where(PointLot.account_id == spend_entry.account_id, PointLot.entry_id.in_(restores))))
    result = []
    for lot_id, taken, expires_at, given_back in rows:
        left = int(taken) - int(given_back)
        counted = min(left, reissued)
        reissued -= counted
        result.append((lot_id, left - counted, expires_at))
    return result
