"""Benchmark: the daily jobs over 1,000,000 members and 10,000,000 sales on PostgreSQL
(bench/big_data.py's database, made once and reused with --reuse), each under 60 s.

Times, at big_data.NOW (2026-12-02, 10:00 in Shanghai), each in its own transaction
rolled back afterwards (the database stays reusable): the points-expiring reminders
(30 and 7 days), the coupon-expiring reminders, the birthdays (coupons and notices), the
recall selection alone (who is dormant) and the whole recall (with its coupons and notices), the inspection reminders, the surveys, and the
tier review as it is on this branch (loyalty.benefits.tiers.review). The baseline, in
the same run, is a plain set-based scan of the same sales: one GROUP BY member over all
10,000,000 (what recall and the tier review cannot avoid reading). One line per job,
ending in its time; the ratio slowest job / baseline last.

    python -m bench.daily_jobs [--database-url postgresql://postgres@127.0.0.1:5432/youka_bench_big] [--reuse]
"""
from __future__ import annotations

import argparse
import time

from sqlalchemy import text

from bench import big_data

LIMIT_SECONDS = 60


def jobs():
    from loyalty.benefits import tiers
    from loyalty.reminders import birthdays, coupons, inspection, points, recall, surveys
    return [
        ("points expiring (30 and 7 days)", points.write_due, "notices"),
        ("coupons expiring (3 days)", coupons.write_due, "notices"),
        ("birthdays (coupon + notice)", birthdays.write_due, "notices"),
        ("recall selection (who is dormant today)", lambda now, policy: recall.select_due(now, policy), "members"),
        ("recall (selection, then a coupon and a notice each)", recall.write_due, "notices"),
        ("inspection reminders", inspection.write_due, "notices"),
        ("surveys after visits", surveys.write_due, "notices"),
        ("tier review (as on this branch)", tiers.review, None),
    ]


def timed(db, run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    db.session.flush()
    seconds = time.perf_counter() - started
    db.session.rollback()
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=big_data.DEFAULT_URL)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already made database of this size")
    args = parser.parse_args()
    app = big_data.ensure(args.database_url, args.members, args.sales, reuse=args.reuse)

    from extensions import db
    from loyalty.policy import Policy
    policy, now = Policy(), big_data.NOW
    with app.app_context():
        baseline, groups = timed(db, lambda: db.session.execute(text(
            "SELECT count(*) FROM (SELECT member_id, max(created_at) FROM sales GROUP BY member_id) t")).scalar())
        times = {}
        for name, run, unit in jobs():
            seconds, result = timed(db, lambda: run(now=now, policy=policy))
            times[name] = seconds
            what = f"{result} {unit}" if unit else ", ".join(f"{k} {v}" for k, v in result.items())
            print(f"{name}: {what}, {seconds:.1f} s")
        print(f"baseline (one GROUP BY member over all {args.sales} sales, {groups} members): {baseline:.1f} s")
        slowest = max(times, key=times.get)
        over = [n for n, s in times.items() if s >= LIMIT_SECONDS]
        print(f"every job under {LIMIT_SECONDS} s: {'yes' if not over else 'no: ' + ', '.join(over)}")
        db.engine.dispose()
    print(f"ratio slowest job ({slowest}) / baseline: {times[slowest] / baseline:.2f}")


if __name__ == "__main__":
    main()
