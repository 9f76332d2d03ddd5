"""The producers as RQ jobs through a real worker (burst), on a travelled clock, and
their place in the `rq cron` schedule."""
from __future__ import annotations

from datetime import date, datetime, timezone

import time_machine
from rq import SimpleWorker

from jobs import dashboards, loyalty as loyalty_jobs, notices, notify, queue
from loyalty import demo
from tests.factories import give_points
from tests.reminders.world import consenting, rows, shanghai


def test_the_daily_producers_run_through_a_worker_and_a_second_round_writes_nothing(app):
    demo.seed()
    member = consenting("13900000071", birthday=date(1991, 12, 2), vehicle_registered_on=date(2021, 1, 1),
                        plate="浙A55555")
    give_points(member, 500, datetime(2024, 12, 5, tzinfo=timezone.utc), key="lot")
    producers = [notices.points_expiring, notices.coupon_expiring, notices.birthdays, notices.recall,
                 notices.inspection, notices.surveys]
    with time_machine.travel(shanghai("2026-12-02", "09:05"), tick=True):
        q = queue()
        for _round in range(2):
            jobs = [q.enqueue(job) for job in producers]
            SimpleWorker([q], connection=q.connection).work(burst=True)
            assert [j.get_status(refresh=True) for j in jobs] == ["finished"] * len(producers)
            results = [j.return_value() for j in jobs]
            # points 30 days ahead, birthday, inspection (6th year ends 2027-01-01: 30 days from 12-02)
            assert results == ([1, 0, 1, 0, 1, 0] if _round == 0 else [0] * len(producers))
    assert [k for k, _, _ in rows("points_expiring")] == [f"points_expiring:30:{member.id}:2026-12-31"]
    assert rows("inspection")[0][2] == {"due_on": "2027-01-01", "plate": "浙A55555"}


def test_every_producer_is_on_the_schedule_under_its_own_stable_name():
    from jobs import campaigns as campaign_jobs
    from jobs.schedule import SCHEDULE
    names = [entry.get("name") or f"{entry['func'].__module__}.{entry['func'].__name__}" for entry in SCHEDULE]
    assert len(names) == len(set(names))
    by_name = {entry.get("name"): entry["func"] for entry in SCHEDULE if entry.get("name")}
    assert by_name == {"notices.points_expiring": notices.points_expiring,
                       "notices.coupon_expiring": notices.coupon_expiring,
                       "notices.birthdays": notices.birthdays, "notices.recall": notices.recall,
                       "notices.inspection": notices.inspection, "notices.surveys": notices.surveys,
                       "notify.sweep": notify.sweep, "notify.refresh_tokens": notify.refresh_tokens,
                       "loyalty.compute_profiles": loyalty_jobs.compute_profiles,
                       "dashboards.rollup": dashboards.rollup,
                       "campaigns.triggers": campaign_jobs.triggers}
    # The tier review and the expiry runs stay where they were.
    assert {"jobs.loyalty.expire_points", "jobs.loyalty.expire_coupons", "jobs.loyalty.review_tiers"} <= set(names)


def test_rq_cron_names_its_jobs_by_the_schedule_s_names():
    from rq.cron import CronJob
    from jobs.schedule import SCHEDULE
    entry = next(e for e in SCHEDULE if e.get("name") == "notices.recall")
    cron_job = CronJob(**entry)
    assert cron_job.name == "notices.recall"
    assert cron_job.job_history_key == "rq:cron_job:notices.recall:jobs"
