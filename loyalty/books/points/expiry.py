"""The expiry run: every due lot of every account, in a handful of set-based statements.

A run first fixes the accounts it will expire (locking them on PostgreSQL), then
snapshots their due lots (expires_at <= now, remaining > 0) into a temporary table and
works from that snapshot only, so the entries, the movements and the lot and account
updates all describe the same lots. Lots and balances move by relative updates
(`remaining - d.remaining`, `balance - total`): if anything changed a due lot behind
our back, a CHECK constraint fails the run rather than the books drifting.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, bindparam, text

from extensions import db
from loyalty import generations
from loyalty.books.ledger import utc
from models import Account, PointLot

_DUE = "l.expires_at IS NOT NULL AND l.expires_at <= :now AND l.remaining > 0"

# The accounts this run expires. PostgreSQL: locked in id order before any lot is read,
# as every other points operation locks its account first, so concurrent spends wait for
# the run (or it for them) and two runs cannot deadlock. Only lots of these accounts are
# expired: an account whose lot fell due after this statement waits for the next run.
_ACCOUNTS_POSTGRES = f"""
CREATE TEMPORARY TABLE expiry_accounts AS
  SELECT id FROM accounts
  WHERE id IN (SELECT l.account_id FROM point_lots l WHERE {_DUE})
  ORDER BY id FOR UPDATE"""

# SQLite has one writer at a time: a write statement first takes the database's write
# lock, so nothing read below can be overtaken by another writer.
_ACCOUNTS_SQLITE = [
    "UPDATE accounts SET balance = balance WHERE 0 = 1",
    f"""CREATE TEMPORARY TABLE expiry_accounts AS
        SELECT DISTINCT l.account_id AS id FROM point_lots l WHERE {_DUE}""",
]

_RUN = [
    f"""CREATE TEMPORARY TABLE expiry_due AS
        SELECT l.id AS lot_id, l.account_id, l.remaining
        FROM point_lots l JOIN expiry_accounts a ON a.id = l.account_id WHERE {_DUE}""",
    # One entry per account, for the sum of its due lots.
    """INSERT INTO ledger_entries (account_id, kind, amount, bucket, cause_type, cause_ref,
                                   idempotency_key, created_at)
       SELECT account_id, 'expire', CAST(-SUM(remaining) AS BIGINT), NULL, 'expiry', :run,
              :key_prefix || CAST(account_id AS VARCHAR(20)), :now
       FROM expiry_due GROUP BY account_id""",
    """INSERT INTO lot_movements (entry_id, lot_id, amount)
       SELECT e.id, d.lot_id, -d.remaining
       FROM expiry_due d JOIN ledger_entries e
         ON e.cause_type = 'expiry' AND e.cause_ref = :run AND e.account_id = d.account_id""",
    """UPDATE point_lots SET remaining = point_lots.remaining - d.remaining
       FROM expiry_due d WHERE point_lots.id = d.lot_id""",
    # From the snapshot, not from the run's entries: a rerun with the same `now` finds
    # nothing due and must not apply the first run's entries a second time.
    """UPDATE accounts SET balance = accounts.balance - s.total
       FROM (SELECT account_id, SUM(remaining) AS total FROM expiry_due GROUP BY account_id) s
       WHERE accounts.id = s.account_id""",
    "DROP TABLE expiry_due",
    "DROP TABLE expiry_accounts",
]


def expire_due(now: datetime | None = None) -> int:
    """Expire every lot due at `now` (expires_at <= now) and return how many accounts
    lost points: one "expire" entry per account for the sum of its due lots, a movement
    for each lot, the lots emptied and the balances lowered, in the caller's transaction.

    A run is named by its `now` (the entries' cause_ref and keys); running again finds
    nothing left due, so a retried job expires nothing twice. Works on PostgreSQL and on
    SQLite (3.33+, for UPDATE ... FROM)."""
    now = utc(now)
    run = now.strftime("%Y%m%dT%H%M%S.%fZ")
    # Our own pending ORM changes must be in the database before the set-based SQL reads it.
    db.session.flush()
    params = {"now": now, "run": run, "key_prefix": f"expire:{run}:"}
    postgres = db.session.get_bind().dialect.name == "postgresql"
    statements = ["DROP TABLE IF EXISTS expiry_due", "DROP TABLE IF EXISTS expiry_accounts"]
    statements += ([_ACCOUNTS_POSTGRES] if postgres else _ACCOUNTS_SQLITE) + _RUN
    expired_accounts = 0
    for sql in statements:
        stmt = text(sql)
        if ":now" in sql:
            stmt = stmt.bindparams(bindparam("now", type_=DateTime(timezone=True)))
        result = db.session.execute(stmt, {k: v for k, v in params.items() if f":{k}" in sql})
        if sql.lstrip().startswith("INSERT INTO ledger_entries"):
            expired_accounts = result.rowcount
    _forget_loaded_balances()
    if expired_accounts:
        generations.touch(generations.EVERYTHING)  # any number of accounts, in set-based SQL the ORM never saw
    return expired_accounts


def _forget_loaded_balances() -> None:
    """Expire loaded accounts and lots: the SQL above changed them behind the ORM's back,
    and a stale balance must not be read (or written back) by the caller."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, (Account, PointLot)):
            db.session.expire(obj)
