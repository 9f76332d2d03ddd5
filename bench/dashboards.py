"""Benchmark: every dashboard endpoint (/admin/dashboards/<name>.json) over 1,000,000 members
and 10,000,000 sales on PostgreSQL, each under 500 ms, after the rollup job, under 60 s; and
the nightly member-profile job (rolled back), under 60 s too.

Works on its own copy of bench/big_data.py's database (it writes: never point it at
youka_bench_big itself; without --database-url it makes a fresh one), e.g.

    createdb -h 127.0.0.1 -U postgres -T youka_bench_big youka_bench_dashboards
    python -m bench.dashboards --database-url postgresql://postgres@127.0.0.1:5432/youka_bench_dashboards --reuse

Once per copy (not timed; `bench_dashboards_meta` remembers it) it adds what big_data does
not make: one fuel line per sale (grade by sale id: 92, 95, 98, 0#), a refund of half of
every 100th sale, and 300,000 pushes with their delivery log over the last 90 days. Then,
at big_data.NOW (the app's pinned clock): the rollup job's full rebuild of every day with a
sale up to yesterday (`flask dashboards rebuild`), then its nightly run (the last 7 days,
the days refunded since, today's snapshots: today's sales are that night's new work), each
timed, and the profile job (loyalty.profiles.compute.run, its steps in bench/profiles.py). Each endpoint is asked through the app as an HQ
admin logged in (the real login, sessions in Redis: --redis-url, default db 3), over the
longest range (366 days to NOW, every station) and for one station; the median of 5 after
a warm-up. The baseline, in the same run, is the sales dashboard's figure computed straight
from sales and sale_lines (GROUP BY day, station, grade over the same 366 days). One line
per endpoint ending in `N ms`, the job's lines, the baseline; the ratio last.
"""
from __future__ import annotations

import argparse
import re
import statistics
import time
from datetime import timedelta

from sqlalchemy import DateTime, bindparam, text

from bench import big_data

LIMIT_MS = 500
JOB_LIMIT_S = 60
PASSWORD = "bench-dashboards-2026"
PREPARE = [
    """INSERT INTO sale_lines (sale_id, kind, grade_code, litres_ml, unit_price_fen, amount_fen)
       SELECT s.id, 'fuel', (ARRAY['92', '95', '98', '0'])[CAST(1 + s.id % 4 AS INTEGER)], s.litres_ml,
              s.gross_fen * 1000 / GREATEST(s.litres_ml, 1), s.gross_fen
       FROM sales s""",
    """INSERT INTO sale_refunds (sale_id, refund_no, request_hash, amount_fen, points_reversed,
                               balance_returned_fen, created_at)
       SELECT s.id, 'BR' || s.id, 'bench', s.payable_fen / 2, 0, 0, s.created_at + interval '2 days'
       FROM sales s WHERE s.id % 100 = 0""",
    "UPDATE sales SET refunded_fen = payable_fen / 2 WHERE id % 100 = 0",
    """INSERT INTO outbox (kind, dedup_key, member_id, payload, status, channel, created_at)
       SELECT 'receipt', 'bench-push:' || i, 1 + i * 7 % :members, '{}',
              CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'sent' END,
              (ARRAY['template', 'subscribe', 'custom', 'sms'])[1 + i % 4],
              :now - (i % 90) * interval '1 day' - (i % 24) * interval '1 hour'
       FROM generate_series(1, 300000) i""",
    """INSERT INTO deliveries (outbox_id, member_id, kind, channel, outcome, attempt, created_at)
       SELECT o.id, o.member_id, o.kind, o.channel, o.status, 1, o.created_at
       FROM outbox o WHERE o.dedup_key LIKE 'bench-push:%'""",
    "CREATE TABLE bench_dashboards_meta (key varchar(32) PRIMARY KEY, value varchar(64))",
    "INSERT INTO bench_dashboards_meta VALUES ('prepared', 'yes')",
]


def prepare(db, members: int, log=print) -> None:
    """The additions, in one transaction (a failed run leaves the copy as it was)."""
    if db.session.execute(text("SELECT to_regclass('bench_dashboards_meta')")).scalar() is not None:
        return
    log("preparing this copy once: sale lines, refunds, pushes")
    for sql in PREPARE:
        started = time.perf_counter()
        stmt = text(sql)
        if ":now" in sql:
            stmt = stmt.bindparams(bindparam("now", type_=DateTime(timezone=True)))
        db.session.execute(stmt, {k: v for k, v in {"now": big_data.NOW, "members": members}.items()
                                  if f":{k}" in sql})
        log(f"  {' '.join(sql.split()[:3])}: {time.perf_counter() - started:.0f} s")
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE sale_lines, sale_refunds, sales, outbox, deliveries"))


def hq_client(app):
    """A test client logged in as an HQ admin (made once in this copy)."""
    from extensions import db
    from loyalty.people import staff as staff_rules
    from models import Staff
    with app.app_context():
        if db.session.query(Staff).filter_by(username="bench_hq").first() is None:
            staff_rules.create_staff("bench_hq", PASSWORD, role="hq_admin")
            db.session.commit()
    client = app.test_client()
    page = client.get("/cashier/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/cashier/login", data={"username": "bench_hq", "password": PASSWORD, "csrf_token": csrf})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


def timed_ms(run, repeat: int = 5) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def profile_job(db, now) -> float:
    """The nightly member-profile job (loyalty.profiles.compute, bench/profiles.py has its
    steps), timed and rolled back."""
    from sqlalchemy import func, select

    from loyalty.profiles import compute, defaults
    from models import TagRule
    if not db.session.scalar(select(func.count()).select_from(TagRule)):
        defaults.seed(now)
    started = time.perf_counter()
    compute.run(now)
    db.session.flush()
    seconds = time.perf_counter() - started
    db.session.rollback()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="your own copy of the big database (default: a fresh copy,"
                                               " youka_bench_big_dashboards)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already made database of this size")
    args = parser.parse_args()
    if args.database_url is None:
        args.database_url = big_data.working_copy("dashboards", args.members, args.sales)
    if args.database_url.rstrip("/").endswith("/youka_bench_big"):
        parser.error("this bench writes: give it a copy of youka_bench_big, not the database itself")
    big_data.ensure(args.database_url, args.members, args.sales, reuse=args.reuse)

    from app import create_app
    from extensions import db
    from loyalty.dashboards import rollup
    from loyalty.dashboards.figures import DASHBOARDS
    from loyalty.reminders.sql import business_day
    app = create_app({"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
                      "PINNED_NOW": big_data.NOW, "SESSION_COOKIE_SECURE": False})
    now, today = big_data.NOW, business_day(big_data.NOW)
    first_day = today - timedelta(days=365)
    with app.app_context():
        prepare(db, args.members)
        first_sale = rollup.first_sale_day()
        started = time.perf_counter()  # to yesterday: the nightly run then does a real night's work
        rollup.rebuild(first_sale, today - timedelta(days=1), now)
        db.session.commit()
        rebuild_s = time.perf_counter() - started
        # What autovacuum does soon after a bulk write (the visibility map: index-only scans).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM " + ", ".join(rollup.TABLES)))
        started = time.perf_counter()
        covered = rollup.nightly(now)
        db.session.commit()
        nightly_s = time.perf_counter() - started
        profile_s = profile_job(db, now)
        baseline_ms = timed_ms(lambda: db.session.execute(text("""
            SELECT CAST(s.created_at AT TIME ZONE 'Asia/Shanghai' AS DATE), s.station_id, l.grade_code,
                   COUNT(*), SUM(l.litres_ml * (s.payable_fen - s.refunded_fen) / NULLIF(s.payable_fen, 0)),
                   SUM(l.amount_fen * (s.payable_fen - s.refunded_fen) / NULLIF(s.gross_fen, 0))
            FROM sales s JOIN sale_lines l ON l.sale_id = s.id
            WHERE l.kind = 'fuel' AND s.created_at >= :lo AND s.created_at < :hi
            GROUP BY 1, 2, 3"""), {"lo": now - timedelta(days=366), "hi": now}).all(), repeat=1)
        db.session.remove()
    print(f"rollup job, full rebuild ({first_sale} .. {today - timedelta(days=1)}, {(today - first_sale).days} days): "
          f"{rebuild_s:.1f} s")
    print(f"rollup job, nightly run ({covered['from']} .. {covered['to']}, {covered['older_days']} older days "
          f"refunded since, snapshots): {nightly_s:.1f} s")
    print(f"profile job, nightly run (member profiles, RFM, tags; rolled back): {profile_s:.1f} s")

    client = hq_client(app)
    span = {"from": first_day.isoformat(), "to": today.isoformat()}
    times = {}
    for name in DASHBOARDS:
        for station in (None, "S001"):
            query = dict(span, **({"station": station} if station else {}))
            path = f"/admin/dashboards/{name}.json"

            def ask():
                resp = client.get(path, query_string=query)
                assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:200])
            ms = timed_ms(ask)
            times[(name, station)] = ms
            print(f"{path} ({span['from']} .. {span['to']}, {station or 'every station'}): {ms:.0f} ms")
    print(f"baseline (the sales figure straight from sales and sale_lines, 366 days): {baseline_ms:.0f} ms")
    slowest = max(times, key=times.get)
    over = [f"{n} {s or ''}".strip() for (n, s), ms in times.items() if ms >= LIMIT_MS]
    print(f"every endpoint under {LIMIT_MS} ms: {'yes' if not over else 'no: ' + ', '.join(over)}; "
          f"rollup job under {JOB_LIMIT_S} s: nightly {'yes' if nightly_s < JOB_LIMIT_S else 'no'}, "
          f"full rebuild {'yes' if rebuild_s < JOB_LIMIT_S else 'no'}; "
          f"profile job under {JOB_LIMIT_S} s: {'yes' if profile_s < JOB_LIMIT_S else 'no'}")
    sales_ms = times[("sales", None)]
    print(f"ratio sales endpoint / baseline: {sales_ms / baseline_ms:.4f} (slowest endpoint {slowest[0]} "
          f"{slowest[1] or 'every station'}: {times[slowest]:.0f} ms)")


if __name__ == "__main__":
    main()
