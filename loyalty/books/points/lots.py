"""Point lots: when they expire, which can be spent, and how an entry moves them.

Expiry instant: points earned in a month expire at the end of the month N months later
in business time (Asia/Shanghai). We store the first instant of the month after that
(2026-01-15 + 24 months -> 2028-02-01 00:00 Shanghai = 2028-01-31 16:00 UTC) and a lot
is expired when `expires_at <= now`: a half-open interval with no 23:59:59.999 edge.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from extensions import db
from loyalty.policy import BUSINESS_TZ, Policy
from models import Account, LedgerEntry, LotMovement, PointLot


def expiry_instant(earned_at: datetime, months: int) -> datetime | None:
    """When points earned at `earned_at` expire (UTC), or None when `months` is 0."""
    if months == 0:
        return None
    local = earned_at.astimezone(BUSINESS_TZ)
    # Month index of the month *after* the last valid one; its first instant ends validity.
    year, month0 = divmod(local.year * 12 + (local.month - 1) + months + 1, 12)
    return datetime(year, month0 + 1, 1, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)


def open_lot(account: Account, entry: LedgerEntry, amount: int, now: datetime, policy: Policy,
             *, pending: bool = True) -> PointLot:
    """A new lot of `amount` points created by `entry`, expiring per the policy.

    Reissued points (a refund of points whose lot expired meanwhile) skip the pending
    period: the member already waited for them once."""
    days = policy.points_pending_days if pending else 0
    fields = dict(account_id=account.id, entry_id=entry.id, origin_entry_id=entry.id, amount=amount,
                  remaining=amount, earned_at=now, available_at=now + timedelta(days=days),
                  expires_at=expiry_instant(now, policy.points_expiry_months))
    # A Core INSERT (the unit of work would cost more than it gives), then the lot as a
    # persistent object, as if loaded.
    lot = PointLot(id=db.session.connection().execute(_insert_lot(), fields).scalar_one(), **fields)
    make_transient_to_detached(lot)
    db.session.add(lot)
    return lot


@cache
def _insert_lot():
    lots = PointLot.__table__
    names = ("account_id", "entry_id", "origin_entry_id", "amount", "remaining", "earned_at", "available_at",
             "expires_at")
    return insert(lots).values({n: bindparam(n, type_=lots.c[n].type) for n in names}).returning(lots.c.id)


def is_spendable(now: datetime):
    """The SQL condition for a lot whose points can be spent at `now`."""
    return (PointLot.remaining > 0) & (PointLot.available_at <= now) & \
        or_(PointLot.expires_at.is_(None), PointLot.expires_at > now)


def spendable_lots(account_id: int, now: datetime, *, exclude: set[int] = frozenset()) -> list[tuple[int, int]]:
    """(lot id, remaining) of the account's spendable lots in the order spending takes
    them: soonest expiry first, never-expiring last, ties by id (oldest lot first)."""
    query = (select(PointLot.id, PointLot.remaining)
             .where(PointLot.account_id == account_id, is_spendable(now))
             .order_by(PointLot.expires_at.asc().nulls_last(), PointLot.id))
    return [(lot_id, left) for lot_id, left in db.session.execute(query) if lot_id not in exclude]


def spendable_total(account_id: int, now: datetime) -> int:
    """Points the account can spend at `now` (pending and expired lots excluded)."""
    total = db.session.scalar(select(func.coalesce(func.sum(PointLot.remaining), 0))
                              .where(PointLot.account_id == account_id, is_spendable(now)))
    return int(total)


def take(lots: list[tuple[int, int]], points: int) -> list[tuple[int, int]]:
    """(lot id, points taken) taking `points` from `lots` in the order given; as much as
    there is when they hold fewer."""
    taken = []
    for lot_id, left in lots:
        if points <= 0:
            break
        n = min(left, points)
        taken.append((lot_id, n))
        points -= n
    return taken


def move(entry: LedgerEntry, deltas: list[tuple[int, int]]) -> None:
    """Record `entry`'s movements (lot id, signed points) and apply them to the lots.

    Lots move by relative updates (`remaining = remaining + delta`) under the account
    lock, so a lot's remaining always equals its amount plus its movements."""
    if not deltas:
        return
    db.session.execute(insert(LotMovement),
                       [{"entry_id": entry.id, "lot_id": lot_id, "amount": delta} for lot_id, delta in deltas])
    lots = PointLot.__table__
    # One executemany (pipelined by psycopg) rather than a round trip per lot.
    db.session.execute(update(lots).where(lots.c.id == bindparam("lot")).values(remaining=lots.c.remaining
                                                                                + bindparam("delta")),
                       [{"lot": lot_id, "delta": delta} for lot_id, delta in deltas])
    for lot_id, _ in deltas:  # a loaded lot object is stale now
        loaded = db.session.identity_map.get(identity_key(PointLot, lot_id))
        if loaded is not None:
            db.session.expire(loaded)
