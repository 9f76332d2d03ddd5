"""Benchmark: a campaign's entry of 1,000,000 members and its measurement over
10,000,000 sales on PostgreSQL (bench/big_data.py's database; work on your own copy),
targets under 60 s and under 10 s.

In one transaction, rolled back at the end (the database stays as it was): every member
made reachable (untimed), a segment of all of them, a campaign with a 10% holdout and
two arms with a message each (with --coupons, arm A also a coupon of BIG_BENCH),
entered 20 days before big_data.NOW with a 14-day window — `entry` times
loyalty.campaigns.entry.enter: the hash assignment, the campaign_members rows and the
outbox rows (and the coupons), in sets (the RQ fan-out that then sends them is
bench/pushes.py's, not timed here); then
`measurement` times loyalty.campaigns.measure.report over all the sales. Baselines in
the same run: writing the same number of rows with their hash into a plain table (one
INSERT ... SELECT), and one GROUP BY member over all the sales. The ratios last.

    python -m bench.campaigns --database-url postgresql://postgres@127.0.0.1:5432/youka_bench_<copy> --reuse
"""
from __future__ import annotations

import argparse
import time
from datetime import timedelta

from sqlalchemy import text

from bench import big_data

ENTRY_LIMIT, MEASURE_LIMIT = 60, 10


def clock(run):
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a copy of the big database (default: a fresh copy,"
                                               " youka_bench_big_campaigns)")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already made database of this size")
    parser.add_argument("--coupons", action="store_true", help="arm A issues a coupon to each of its members too")
    args = parser.parse_args()
    from sqlalchemy.engine import make_url
    if args.database_url is None:
        args.database_url = big_data.working_copy("campaigns", args.members, args.sales)
    if make_url(args.database_url).database == make_url(big_data.DEFAULT_URL).database:
        parser.error("it writes (then rolls back): run it on a copy, createdb -T youka_bench_big youka_bench_<yours>")
    app = big_data.ensure(args.database_url, args.members, args.sales, reuse=args.reuse)

    from extensions import db
    from loyalty.campaigns import assignment, entry, measure
    from models import Campaign, CampaignArm, CouponTemplate, Segment
    entered_at = big_data.NOW - timedelta(days=20)
    with app.app_context():
        db.session.execute(text("UPDATE members SET consent_at = :at, deleted_at = NULL"), {"at": entered_at})
        template = db.session.execute(db.select(CouponTemplate.id).where(CouponTemplate.code == "BIG_BENCH")).scalar()
        segment = Segment(code="BENCH_ALL", name="全部会员", filters=[])
        campaign = Campaign(code="BENCH", name="召回测试", segment=segment, schedule="once", holdout_bp=1000,
                            window_days=14, conversion="visit", status="running", launched_at=entered_at)
        db.session.add_all([segment, campaign])
        db.session.flush()
        campaign.arms = [CampaignArm(campaign_id=campaign.id, code="holdout", position=0, holdout=True, weight=0),
                         CampaignArm(campaign_id=campaign.id, code="A", position=1, weight=1,
                                     coupon_template_id=template if args.coupons else None,
                                     message="满200减20，欢迎回来"),
                         CampaignArm(campaign_id=campaign.id, code="B", position=2, weight=1, message="好久不见")]
        db.session.flush()
        db.session.execute(text("ANALYZE members"))

        entry_s, counts = clock(lambda: entry.enter(campaign, entered_at))
        db.session.flush()
        print(f"entered {counts['entered']} members ({counts['notices']} outbox rows"
              f"{', a coupon each in arm A' if args.coupons else ''})")
        print(f"entry: {entry_s:.1f} s")
        db.session.execute(text("ANALYZE campaign_members"))
        measure_s, report = clock(lambda: measure.report(campaign, big_data.NOW))
        for arm in report.arms:
            verdict = arm.lift.verdict if arm.lift else "对照组"
            print(f"  {arm.code}: {arm.members} members, {arm.conversions} converted, {arm.litres_ml // 1000} L, "
                  f"{arm.amount_fen // 100} yuan; {verdict}")
        print(f"measurement: {measure_s:.1f} s")

        bucket = assignment.bucket_sql(str(campaign.id), "id", postgres=True)
        write_s, rows = clock(lambda: db.session.execute(text(
            f"CREATE TEMPORARY TABLE bench_rows AS SELECT id AS member_id, {bucket} AS b, now() AS at "
            "FROM members")).rowcount)
        print(f"baseline (write {rows} rows with their hash, one INSERT ... SELECT): {write_s:.1f} s")
        scan_s, groups = clock(lambda: db.session.execute(text(
            "SELECT count(*) FROM (SELECT member_id, max(created_at), sum(litres_ml) FROM sales GROUP BY member_id) t"))
            .scalar())
        print(f"baseline (one GROUP BY member over all {args.sales} sales, {groups} members): {scan_s:.1f} s")
        db.session.rollback()
        db.engine.dispose()
    print(f"entry under {ENTRY_LIMIT} s: {'yes' if entry_s < ENTRY_LIMIT else 'no'}; "
          f"measurement under {MEASURE_LIMIT} s: {'yes' if measure_s < MEASURE_LIMIT else 'no'}")
    print(f"ratio entry / write baseline: {entry_s / write_s:.2f}; ratio measurement / scan baseline: "
          f"{measure_s / scan_s:.2f}")


if __name__ == "__main__":
    main()
