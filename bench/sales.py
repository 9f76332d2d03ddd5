"""Sale commits per second on PostgreSQL with 16 concurrent clients, against a baseline
of pgbench's simple-update shape measured in the same run with the same driver and pool:
one transaction = `UPDATE ... SET balance = balance + x` on a random row + one INSERT.

    .venv/bin/python -m bench.sales [--database-url URL] [--seconds 10] [--clients 16]

Prints both rates, checks that no update was lost on either side, and prints the ratio
(sales / baseline) last. Target: ratio >= 0.3. Uses its own database (youka_bench) so
it never disturbs the tests' data.
"""
from __future__ import annotations

import argparse
import random
import threading
import time
from datetime import datetime, timezone

import psycopg
from sqlalchemy import text

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/youka_bench"
MEMBERS = 2000


def fresh_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build_app(url: str, clients: int):
    from app import create_app
    from config import Config
    cfg = Config(DATABASE_URL=url, REDIS_URL="redis://127.0.0.1:6379/15")
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


def sales_rate(app, ids: list[int], clients: int, seconds: float) -> float:
    from extensions import db
    from loyalty.books import invariants
    from loyalty.till import sales
    from loyalty.till.pricing import FuelLine
    now = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)

    def work(i, rnd, n):
        with app.app_context():
            sales.commit("S001", f"B{i}-{n}", [FuelLine("92", rnd.randint(5, 60) * 1000, 765)],
                         member_id=rnd.choice(ids), now=now)

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
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    fresh_database(args.database_url)
    app = build_app(args.database_url, args.clients)
    ids = prepare(app)
    base = baseline(app, args.clients, args.seconds)
    print(f"baseline (UPDATE + INSERT): {base:8.1f} tx/s")
    ours = sales_rate(app, ids, args.clients, args.seconds)
    print(f"sale commits:               {ours:8.1f} sales/s  (no lost update, invariants hold)")
    print(f"ratio sales/baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
