"""The rollup as an RQ job through a real worker (twice: the same rows), and
`flask dashboards rebuild` over a date range (its bad dates refused, nothing written)."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from rq import SimpleWorker
from sqlalchemy import text

from extensions import db
from jobs import dashboards, queue
from tests.dashboards.world import D, build, shanghai


def count(table: str) -> int:
    return db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


def test_the_rollup_job_runs_through_a_worker_and_a_second_run_writes_the_same_rows(app):
    build()
    with time_machine.travel(shanghai(D + timedelta(days=1), "02:40:00"), tick=True):
        q = queue()
        dumps = []
        for _round in range(2):
            job = q.enqueue(dashboards.rollup)
            SimpleWorker([q], connection=q.connection).work(burst=True)
            assert job.get_status(refresh=True) == "finished"
            assert job.return_value()["to"] == (D + timedelta(days=1)).isoformat()
            db.session.expire_all()
            dumps.append(db.session.execute(text("SELECT * FROM rollup_sales_hours ORDER BY 1, 2, 3, 4")).all())
    assert len(dumps[0]) == 5 and dumps[0] == dumps[1]  # S1-S5 fall in 5 (day, station, hour, member) rows


def test_flask_dashboards_rebuild_a_range(app, runner):
    build()
    result = runner.invoke(args=["dashboards", "rebuild", "--from", D.isoformat(), "--to", D.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"rebuilt {D} .. {D} in ")  # today is not in the range: no snapshots
    db.session.expire_all()
    # Only D's sales (S1, S3, S4, S5), not S2 of D+1; no snapshot taken.
    assert count("rollup_sales_hours") == 4 and count("rollup_tier_counts") == 0
    result = runner.invoke(args=["dashboards", "rebuild"])  # the first sale's day to today
    assert result.exit_code == 0 and "and today's snapshots" in result.output, result.output
    db.session.expire_all()
    assert count("rollup_sales_hours") == 5 and count("rollup_tier_counts") > 0


def test_flask_dashboards_rebuild_refuses_bad_dates(app, runner):
    build()
    for args in (["--from", "2026-02-30"], ["--to", "tomorrow"], ["--from", "2026-11-13", "--to", "2026-11-12"]):
        result = runner.invoke(args=["dashboards", "rebuild", *args])
        assert result.exit_code == 2, (args, result.output)
    db.session.expire_all()
    assert count("rollup_sales_hours") == 0
