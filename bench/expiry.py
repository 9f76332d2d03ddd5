"""Benchmark: the points expiry run against a hand-written SQL baseline, same data.

Loads 1,000,000 point lots (a quarter of them due) over 100,000 accounts into a
database of its own (`youka_bench_expiry`, created for the run and dropped after it;
the schema comes from the migrations), then times `loyalty.books.points.expire_due` and one hand-written statement
(an UPDATE of the lots feeding INSERT ... SELECT of the entries and movements and the
balance UPDATE) doing the same work. Each run is rolled back, so both meet the same
data; the best of two rounds counts. The ratio ours / hand-written is printed last.

    python -m bench.expiry [--database-url postgresql://postgres@127.0.0.1:5432/youka_bench_expiry]
"""
from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

import psycopg
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import make_url

# Its own database: bench.sales drops and recreates youka_bench when it starts.
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/youka_bench_expiry"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)

# Lot i is lot number i / accounts of account i % accounts + 1; a quarter of them, spread
# over every account, expired a day before NOW.
LOAD = [
    """INSERT INTO members (id, phone, identity, following)
       SELECT i, '1' || lpad(i::text, 10, '0'), 'private', false FROM generate_series(1, :accounts) i""",
    """INSERT INTO accounts (id, kind, member_id, balance, bonus_balance)
       SELECT i, 'points', i, 0, 0 FROM generate_series(1, :accounts) i""",
    """INSERT INTO ledger_entries (id, account_id, kind, amount, cause_type, cause_ref, idempotency_key, created_at)
       SELECT i, i % :accounts + 1, 'earn', 1 + i % 500, 'sale', i::text, 'bench:' || i,
              :now - interval '300 days'
       FROM generate_series(1, :lots) i""",
    """INSERT INTO point_lots (id, account_id, entry_id, amount, remaining, earned_at, available_at, expires_at)
       SELECT i, i % :accounts + 1, i, 1 + i % 500, 1 + i % 500, :now - interval '300 days',
              :now - interval '300 days',
              CASE WHEN (i / :accounts + i % :accounts) % 4 = 0 THEN :now - interval '1 day' ELSE :now + interval '300 days' END
       FROM generate_series(1, :lots) i""",
    """UPDATE accounts SET balance = s.total
       FROM (SELECT account_id, SUM(remaining) AS total FROM point_lots GROUP BY account_id) s
       WHERE accounts.id = s.account_id""",
    "SELECT setval('members_id_seq', :accounts)",
    "SELECT setval('accounts_id_seq', :accounts)",
    "SELECT setval('ledger_entries_id_seq', :lots)",
    "SELECT setval('point_lots_id_seq', :lots)",
]

# What a DBA would write for the same work, as one statement.
HAND_WRITTEN = """
WITH due AS (
  UPDATE point_lots l SET remaining = 0
  FROM (SELECT id, remaining AS was FROM point_lots
        WHERE expires_at <= :now AND remaining > 0 FOR UPDATE) d
  WHERE l.id = d.id
  RETURNING l.id, l.account_id, d.was),
sums AS (SELECT account_id, SUM(was)::bigint AS total FROM due GROUP BY account_id),
entries AS (
  INSERT INTO ledger_entries (account_id, kind, amount, cause_type, cause_ref, idempotency_key, created_at)
  SELECT account_id, 'expire', -total, 'expiry', 'hand', 'hand:' || account_id, :now FROM sums
  RETURNING id, account_id, amount),
moves AS (
  INSERT INTO lot_movements (entry_id, lot_id, amount)
  SELECT e.id, d.id, -d.was FROM due d JOIN entries e USING (account_id))
UPDATE accounts a SET balance = a.balance + e.amount FROM entries e WHERE a.id = e.account_id
"""


def database(url: str, *, create: bool) -> None:
    """Create the benchmark's own database afresh, or drop it (half a gigabyte) after the run."""
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def load(db, accounts: int, lots: int) -> None:
    from flask_migrate import upgrade
    upgrade(revision="heads")
    with db.engine.begin() as conn:
        for sql in LOAD:
            stmt = text(sql)
            if ":now" in sql:
                stmt = stmt.bindparams(bindparam("now", type_=DateTime(timezone=True)))
            conn.execute(stmt, {k: v for k, v in {"accounts": accounts, "lots": lots, "now": NOW}.items()
                                if f":{k}" in sql})
    vacuum(db)


def vacuum(db) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def timed(db, run) -> tuple[float, tuple]:
    """Seconds `run` takes in a transaction that is then rolled back; what it wrote
    (expiry entries, their total, movements, points left in lots, the balances' total)."""
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    written = tuple(db.session.execute(text(
        """SELECT (SELECT count(*) FROM ledger_entries WHERE kind = 'expire'),
                  (SELECT SUM(amount) FROM ledger_entries WHERE kind = 'expire'),
                  (SELECT count(*) FROM lot_movements),
                  (SELECT SUM(remaining) FROM point_lots),
                  (SELECT SUM(balance) FROM accounts)""")).one())
    db.session.rollback()
    vacuum(db)  # the rolled-back run's dead rows must not slow the next one
    return seconds, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--lots", type=int, default=1_000_000)
    args = parser.parse_args()
    database(args.database_url, create=True)

    from app import create_app
    from extensions import db
    from loyalty.books import points
    app = create_app({"DATABASE_URL": args.database_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    with app.app_context():
        started = time.perf_counter()
        load(db, args.accounts, args.lots)
        print(f"loaded {args.lots} lots over {args.accounts} accounts in {time.perf_counter() - started:.1f}s")
        ours, hand = [], []
        for _ in range(2):
            hand.append(timed(db, lambda: db.session.execute(
                text(HAND_WRITTEN).bindparams(bindparam("now", type_=DateTime(timezone=True))), {"now": NOW})))
            ours.append(timed(db, lambda: points.expire_due(now=NOW)))
        assert {n for _, n in ours} == {n for _, n in hand}, (ours, hand)
        best_ours, best_hand = min(s for s, _ in ours), min(s for s, _ in hand)
        print(f"expired the due lots of {ours[0][1][0]} accounts ({-ours[0][1][1]} points, "
              f"{ours[0][1][2]} lots); both runs wrote the same")
        print(f"expire_due:   {best_ours:.2f}s")
        print(f"hand-written: {best_hand:.2f}s")
        db.engine.dispose()
    database(args.database_url, create=False)
    print(f"ratio ours/hand-written: {best_ours / best_hand:.2f}")


if __name__ == "__main__":
    main()
