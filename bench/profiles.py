"""Benchmark: the nightly profile job (loyalty.profiles.compute) over 1,000,000 members and
10,000,000 sales on PostgreSQL (bench/big_data.py's database, or a copy of it, with
--reuse), target: the whole run under 60 s.

One transaction, rolled back afterwards (the database stays reusable): the default tag
rules are written first when the database has none, then the run at big_data.NOW. One
line per step ending in its time: the visits (one pass over the sales: counts, litres,
amount, weekday and hour), the median interval (every visit day, sorted), the lines
(favourite grade and shop share; big_data's sales have none), the profiles (RFM quintiles
and segments written), the tags; then the total; the baseline, in the same run, is one
GROUP BY member over all the sales (what any profile must read); the ratio total /
baseline last.

    python -m bench.profiles --database-url postgresql://postgres@127.0.0.1:5432/youka_bench_profiles --reuse
"""
from __future__ import annotations

import argparse
import time

from sqlalchemy import func, select, text

from bench import big_data

LIMIT_SECONDS = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=big_data.DEFAULT_URL)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already made database of this size")
    args = parser.parse_args()
    app = big_data.ensure(args.database_url, args.members, args.sales, reuse=args.reuse)

    from extensions import db
    from loyalty.profiles import compute, defaults
    from models import TagRule
    with app.app_context():
        started = time.perf_counter()
        groups = db.session.execute(text(
            "SELECT count(*) FROM (SELECT member_id, max(created_at) FROM sales GROUP BY member_id) t")).scalar()
        baseline = time.perf_counter() - started
        db.session.rollback()
        if not db.session.scalar(select(func.count()).select_from(TagRule)):
            defaults.seed(big_data.NOW)
        steps: dict[str, float] = {}
        started = time.perf_counter()
        done = compute.run(big_data.NOW, timings=steps,
                           on_step=lambda name, seconds: print(f"{name}: {seconds:.1f} s", flush=True))
        db.session.flush()
        total = time.perf_counter() - started
        segments = dict(db.session.execute(text(
            "SELECT rfm_segment, count(*) FROM member_profiles GROUP BY rfm_segment")).all())
        db.session.rollback()
        by_segment = ", ".join(f"{k} {v}" for k, v in sorted(segments.items()))
        print(f"profiles: {done.members} members; segments {by_segment}; "
              f"tags {', '.join(f'{k} {v}' for k, v in done.tags.items())}")
        print(f"profile job total ({done.members} members): {total:.1f} s")
        print(f"under {LIMIT_SECONDS} s: {'yes' if total < LIMIT_SECONDS else 'no'}")
        print(f"baseline (one GROUP BY member over all {args.sales} sales, {groups} members): {baseline:.1f} s")
        db.engine.dispose()
    print(f"ratio profile job / baseline: {total / baseline:.2f}")


if __name__ == "__main__":
    main()
