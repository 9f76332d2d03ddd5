"""Sale commits per second on PostgreSQL with 16 concurrent clients, against a baseline
of pgbench's simple-update shape measured in the same run with the same driver and pool:
one transaction = `UPDATE ... SET balance = balance + x` on a random row + one INSERT.

    .venv/bin/python -m bench.sales [--database-url URL] [--redis-url URL] [--seconds 10] [--clients 16]

Before the timed runs, a single thread commits PROFILE_SALES sales (a member's sale paid
externally, one 92# line, no coupons) and the bench prints what one sale costs:
`N statements per sale, M ms CPU per sale`. Counted: every statement SQLAlchemy hands
the driver (a `before_cursor_execute` listener; an executemany counts once per parameter
set, since the server runs each), including locks and reads; not counted: BEGIN and
COMMIT, which psycopg sends on its own. CPU: this process's CPU time (Python, the
driver) per sale, PostgreSQL's own work not included.

Prints both rates, checks that no update was lost on either side, and prints the ratio
(sales / baseline) last. Target: ratio >= 0.3. Uses its own database (youka_bench, or
--database-url) and Redis (db 15, or --redis-url / BENCH_REDIS_URL) so it never disturbs
the tests' data.
"""
from __future__ import annotations

import argparse
import os
import random
import threading
import time
from datetime import datetime, timezone

import psycopg
from sqlalchemy import event, text

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/youka_bench"
DEFAULT_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
MEMBERS = 2000
PROFILE_SALES = 200
SALE_AT = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # a Wednesday: no member day


def fresh_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build_app(url: str, clients: int, redis_url: str = DEFAULT_REDIS_URL):
    from app import create_app
    from config import Config
    cfg = Config(DATABASE_URL=url, REDIS_URL=redis_url)
    cfg.extra["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": clients, "max_overflow": 0}
    return create_app(cfg)


def prepare(app) -> list[int]:
    from flask_migrate import upgrade

    from extensions import db
    from loyalty import demo
    from loyalty.people import members
    with app.app_context():
        upgrade(revision="heads")
        demo.seed()
        ids = [members.create_member(f"139{i:08d}", consent=True).id for i in range(MEMBERS)]
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_accounts (id int PRIMARY KEY, balance bigint NOT NULL)"))
            conn.execute(text("CREATE TABLE bench_history (id bigserial PRIMARY KEY, account_id int, delta int,"
                              " at timestamptz DEFAULT now())"))
            conn.execute(text(f"INSERT INTO bench_accounts SELECT g, 0 FROM generate_series(1, {MEMBERS}) g"))
        return ids


def run_clients(clients: int, seconds: float, work) -> int:
    done = [0] * clients
    deadline = time.monotonic() + seconds

    def loop(i: int) -> None:
        rnd = random.Random(i)
        while time.monotonic() < deadline:
            work(i, rnd, done[i])
            done[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done)


def baseline(app, clients: int, seconds: float) -> float:
    from extensions import db
    with app.app_context():
        engine = db.engine

        def work(i, rnd, n):
            with engine.begin() as conn:
                account, delta = rnd.randint(1, MEMBERS), rnd.randint(-5000, 5000)
                conn.execute(text("UPDATE bench_accounts SET balance = balance + :d WHERE id = :a"),
                             {"d": delta, "a": account})
                conn.execute(text("INSERT INTO bench_history (account_id, delta) VALUES (:a, :d)"),
                             {"a": account, "d": delta})

        count = run_clients(clients, seconds, work)
        with engine.connect() as conn:
            total = conn.execute(text("SELECT sum(balance) FROM bench_accounts")).scalar()
            logged = conn.execute(text("SELECT coalesce(sum(delta), 0) FROM bench_history")).scalar()
        assert total == logged, f"baseline lost an update: {total} != {logged}"
    return count / seconds


def sell(app, ids: list[int], tag: str, rnd: random.Random, n: int) -> None:
    """One member's sale paid externally: one 92# line, no coupons."""
    from loyalty.till import sales
    from loyalty.till.pricing import FuelLine
    with app.app_context():
        sales.commit("S001", f"{tag}-{n}", [FuelLine("92", rnd.randint(5, 60) * 1000, 765)],
                     member_id=rnd.choice(ids), now=SALE_AT)


def cost_per_sale(app, ids: list[int], count: int = PROFILE_SALES) -> tuple[float, float]:
    """(statements, ms of this process's CPU) per sale, one thread, after a warm-up sale
    (so per-process caches are filled as in a running service)."""
    from extensions import db
    rnd = random.Random(0)
    sell(app, ids, "P", rnd, -1)
    counted = [0]

    def count_statement(conn, cursor, statement, parameters, context, executemany):
        counted[0] += len(parameters) if executemany else 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        cpu = time.process_time()
        for n in range(count):
            sell(app, ids, "P", rnd, n)
        cpu = time.process_time() - cpu
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    return counted[0] / count, cpu * 1000 / count


def sales_rate(app, ids: list[int], clients: int, seconds: float) -> float:
    from extensions import db
    from loyalty.books import invariants

    def work(i, rnd, n):
        sell(app, ids, f"B{i}", rnd, n)

    count = run_clients(clients, seconds, work)
    with app.app_context():
        problems = invariants.check(db.session)
        assert problems == [], problems
        earned = db.session.execute(text("SELECT coalesce(sum(points_earned), 0) FROM sales")).scalar()
        held = db.session.execute(text("SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'points'"
                                       " AND member_id IN (SELECT id FROM members WHERE phone LIKE '139%')")).scalar()
        assert earned == held, f"points lost: earned {earned}, held {held}"
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="default: BENCH_REDIS_URL, else db 15")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    fresh_database(args.database_url)
    app = build_app(args.database_url, args.clients, args.redis_url)
    ids = prepare(app)
    statements, cpu_ms = cost_per_sale(app, ids)
    print(f"{statements:.0f} statements per sale, {cpu_ms:.1f} ms CPU per sale")
    base = baseline(app, args.clients, args.seconds)
    print(f"baseline (UPDATE + INSERT): {base:8.1f} tx/s")
    ours = sales_rate(app, ids, args.clients, args.seconds)
    print(f"sale commits:               {ours:8.1f} sales/s  (no lost update, invariants hold)")
    print(f"ratio sales/baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
