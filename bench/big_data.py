"""A big, reusable PostgreSQL database for the benchmarks of periodic jobs and dashboards:
1,000,000 members and 10,000,000 sales (and their accounts, point lots, coupons), made
with set-based SQL (generate_series), never the ORM, relative to a fixed NOW.

    python -m bench.big_data [--database-url URL] [--members N] [--sales N] [--reuse]

With --reuse an already complete database of the same size is kept as it is (the
`bench_meta` table records what was made, written last); otherwise it is dropped and
made again (several minutes). Benchmarks that use it roll their own writes back, so it
stays reusable. The shape, per member i (all deterministic):

    members         consent (95%), erased (0.5%), a birthday (70%), a registration date
                    of a private car (40%), marketing opt-in (40%); 2% in silver, below its
                    threshold (the tier review downgrades them), the rest in the lowest tier
    sales           sales/members visits each, every `3 + i*7 % 40` days, the last one
                    `i*11 % 100` days before NOW (some never dormant, a third long gone)
    point lots      2 per member, expiring on the first of one of the next 24 months (Shanghai)
    coupons         3 per member, ending over the next 90 days, 80% still issued
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timezone

import psycopg
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import make_url

# Its own database (never `test`): BIG_DATABASE_URL or --database-url to put it elsewhere.
DEFAULT_URL = os.environ.get("BIG_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/youka_bench_big")
# 10:00 in Shanghai on 2 December 2026: the 30-day points notice of the lots ending on
# 2027-01-01 falls on this day.
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)
VERSION = "2"  # 2: member_daily_totals filled

SALES_INDEXES = ["ix_sales_member_created", "ix_sales_created"]

LOAD = [
    """INSERT INTO coupon_templates (code, name, kind, amount_fen, min_spend_fen, valid_days, stackable, active)
       VALUES ('BIG_BENCH', '满200减20', 'amount_off', 2000, 20000, 30, true, true)
       ON CONFLICT (code) DO NOTHING""",
    """INSERT INTO members (id, phone, identity, plate, birthday, vehicle_registered_on, consent_at, consent_version,
                            deleted_at, following, tier_id, tier_since, created_at)
       SELECT i, '1' || lpad(i::text, 10, '0'),
              CASE WHEN i % 10 = 0 THEN 'taxi' ELSE 'private' END,
              '浙A' || lpad((i % 100000)::text, 5, '0'),
              CASE WHEN i % 10 < 7 THEN date '1960-01-01' + (i * 37 % 16000) END,
              CASE WHEN i % 5 < 2 THEN date '2006-01-01' + (i * 13 % 7300) END,
              CASE WHEN i % 19 <> 0 THEN :now - interval '500 days' END, '2026-12-01',
              CASE WHEN i % 200 = 1 THEN :now - interval '10 days' END,
              true, (SELECT id FROM tiers WHERE NOT is_trial ORDER BY rank OFFSET (CASE WHEN i % 50 = 0 THEN 1 ELSE 0 END)
                     LIMIT 1),
              :now - interval '400 days', :now - interval '500 days'
       FROM generate_series(1, :members) i""",
    """INSERT INTO push_preferences (member_id, service_notices, reminders, marketing)
       SELECT i, true, true, (i % 5 < 2) FROM generate_series(1, :members) i WHERE i % 3 <> 0""",
    """INSERT INTO accounts (id, kind, member_id, balance, bonus_balance)
       SELECT i, 'points', i, 0, 0 FROM generate_series(1, :members) i""",
    """INSERT INTO accounts (id, kind, member_id, balance, bonus_balance)
       SELECT :members + i, 'stored_value', i, 0, 0 FROM generate_series(1, :members) i""",
    # Lot j belongs to member (j - 1) % members + 1; its entry has the same id.
    """INSERT INTO ledger_entries (id, account_id, kind, amount, cause_type, cause_ref, idempotency_key, created_at)
       SELECT j, (j - 1) % :members + 1, 'earn', 100 + j % 400, 'sale', j::text, 'big:' || j,
              :now - interval '300 days'
       FROM generate_series(1, 2 * :members) j""",
    """INSERT INTO point_lots (id, account_id, entry_id, origin_entry_id, amount, remaining, earned_at,
                               available_at, expires_at)
       SELECT j, (j - 1) % :members + 1, j, j, 100 + j % 400,
              CASE WHEN j % 10 = 0 THEN 0 ELSE 100 + j % 400 END,
              :now - interval '300 days', :now - interval '300 days',
              (timestamp '2027-01-01' + (((j - 1) % :members * 7 + (j - 1) / :members * 5) % 24) * interval '1 month')
                AT TIME ZONE 'Asia/Shanghai'
       FROM generate_series(1, 2 * :members) j""",
    """UPDATE accounts SET balance = s.total
       FROM (SELECT account_id, SUM(remaining) AS total FROM point_lots GROUP BY account_id) s
       WHERE accounts.id = s.account_id""",
    """INSERT INTO coupons (id, member_id, template_id, issued_at, valid_from, valid_until, status, used_at,
                            issue_key, source)
       SELECT c, (c - 1) % :members + 1, (SELECT id FROM coupon_templates WHERE code = 'BIG_BENCH'),
              :now - interval '30 days', :now - interval '30 days',
              (timestamp '2026-12-02' + (c * 17 % 90) * interval '1 day') AT TIME ZONE 'Asia/Shanghai',
              CASE WHEN c % 5 = 0 THEN 'used' ELSE 'issued' END,
              CASE WHEN c % 5 = 0 THEN :now - interval '5 days' END,
              'big:' || c, 'manual'
       FROM generate_series(1, 3 * :members) c""",
    # Sale i: visit k = (i - 1) / members (0 the oldest) of member m = (i - 1) % members + 1.
    """INSERT INTO sales (id, station_id, pos_txn_no, request_hash, member_id, gross_fen, discount_fen, payable_fen,
                          pay_with, paid_from_balance_fen, litres_ml, points_earned, refunded_fen, created_at)
       SELECT i, 1 + i % 3, 'B' || i, 'big', m, 30000 + m % 20000, 0, 30000 + m % 20000, 'external', 0,
              40000 + m % 20000, 40 + m % 20, 0,
              :now - ((m * 11 % 100) + (:visits - 1 - k) * (3 + m * 7 % 40)) * interval '1 day'
                   - (1 + (m + k) % 10) * interval '1 hour'
       FROM (SELECT i, (i - 1) % :members + 1 AS m, (i - 1) / :members AS k
             FROM generate_series(1, :sales) i) g""",
]

SEQUENCES = {"members": "members", "accounts": "accounts", "ledger_entries": "ledger_entries",
             "point_lots": "point_lots", "coupons": "coupons", "sales": "sales"}


def admin_url(url: str) -> tuple[str, str]:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False), \
        parsed.database


def recreate(url: str) -> None:
    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def complete(url: str, members: int, sales: int) -> bool:
    """True when the database exists and holds a finished load of this size."""
    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            return False
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        if conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0] is None:
            return False
        meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
    return meta == {"version": VERSION, "members": str(members), "sales": str(sales), "now": NOW.isoformat()}


def execute(conn, sql: str, **params) -> None:
    stmt = text(sql)
    if ":now" in sql:
        stmt = stmt.bindparams(bindparam("now", type_=DateTime(timezone=True)))
    conn.execute(stmt, {k: v for k, v in params.items() if f":{k}" in sql})


def load(members: int, sales: int, log=print) -> None:
    """Migrate, seed the demo data (stations, tiers, templates), then load the rest."""
    from flask_migrate import upgrade
    from extensions import db
    from loyalty import demo
    upgrade(revision="heads")
    demo.seed()
    db.session.remove()
    with db.engine.begin() as conn:  # ids from 1 are ours: the demo member (and all it owns) goes
        conn.execute(text("TRUNCATE members RESTART IDENTITY CASCADE"))
    db.session.remove()
    params = {"now": NOW, "members": members, "sales": sales, "visits": max(sales // members, 1)}
    with db.engine.begin() as conn:
        for name in SALES_INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        for sql in LOAD:
            started = time.perf_counter()
            execute(conn, sql, **params)
            log(f"  {' '.join(sql.split()[:3])}: {time.perf_counter() - started:.0f} s")
        conn.execute(text("CREATE INDEX ix_sales_member_created ON sales (member_id, created_at)"))
        conn.execute(text("CREATE INDEX ix_sales_created ON sales (created_at)"))
    db.session.remove()
    from loyalty.till import daily_totals  # the tier metric and day cap the sale path keeps
    started = time.perf_counter()
    daily_totals.rebuild()
    db.session.commit()
    log(f"  member_daily_totals: {time.perf_counter() - started:.0f} s")
    with db.engine.begin() as conn:
        for table, seq in SEQUENCES.items():
            conn.execute(text(f"SELECT setval('{seq}_id_seq', (SELECT max(id) FROM {table}))"))
        conn.execute(text("CREATE TABLE bench_meta (key varchar(32) PRIMARY KEY, value varchar(64))"))
        conn.execute(text("INSERT INTO bench_meta VALUES ('version', :v), ('members', :m), ('sales', :s), ('now', :n)"),
                     {"v": VERSION, "m": str(members), "s": str(sales), "n": NOW.isoformat()})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def ensure(url: str, members: int, sales: int, *, reuse: bool, log=print):
    """The app on the big database, made first unless `reuse` finds it complete."""
    from app import create_app
    if reuse and complete(url, members, sales):
        log(f"reusing {make_url(url).database}: {members} members, {sales} sales")
        app = create_app({"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:1/0"})
        with app.app_context():  # later migrations (new, empty tables) apply in seconds
            from flask_migrate import upgrade
            upgrade(revision="heads")
            from extensions import db
            db.engine.dispose()
    else:
        recreate(url)
        started = time.perf_counter()
        app = create_app({"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:1/0"})
        with app.app_context():
            load(members, sales, log)
            from extensions import db
            db.engine.dispose()
        log(f"made {members} members and {sales} sales in {time.perf_counter() - started:.0f} s")
    return create_app({"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:1/0"})


def working_copy(name: str, members: int, sales: int, *, log=print) -> str:
    """The URL of a fresh copy of the big database, `<its name>_<name>`, for a benchmark
    that writes: the big database is made first when missing (or reused), then copied
    with CREATE DATABASE ... TEMPLATE (about a minute; nobody may be connected to it)."""
    ensure(DEFAULT_URL, members, sales, reuse=True, log=log)
    admin, big = admin_url(DEFAULT_URL)
    target = f"{big}_{name}"
    started = time.perf_counter()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{big}"')
    log(f"copied {big} to {target} in {time.perf_counter() - started:.0f} s")
    return make_url(DEFAULT_URL).set(database=target).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep a complete database of this size")
    args = parser.parse_args()
    ensure(args.database_url, args.members, args.sales, reuse=args.reuse)


if __name__ == "__main__":
    main()
