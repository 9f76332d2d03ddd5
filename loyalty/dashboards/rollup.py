"""The rollup job: which business days to compute again, and doing it.

The nightly run (jobs/dashboards.py) recomputes the last LOOKBACK_DAYS days up to today
(Shanghai), and any older day whose sales changed since (a sale refunded within that
window counts on its own day), then takes today's snapshots. `rebuild(first, last)`
(`flask dashboards rebuild`) recomputes any range. Both delete and write again the rows of
the days they cover, so a rerun writes the same rows; two runs at once wait for each other
(an advisory lock on PostgreSQL). Flushes, never commits: the caller commits once.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import DateTime, bindparam, text

from extensions import db
from loyalty.dashboards import day_rollups, snapshots, sql
from loyalty.reminders.sql import business_day, day_start, postgres

LOOKBACK_DAYS = 7
TABLES = ("rollup_sales_hours", "rollup_grade_days", "rollup_station_members", "rollup_member_weeks",
          "rollup_coupon_days", "rollup_push_days", "rollup_tier_counts", "rollup_liabilities", "rollup_points_expiry")
# The job's own planner settings (PostgreSQL, this transaction only): memory for its sorts
# and hashes, so GROUP BYs over millions of sales stay in memory; and random reads priced
# as the cached reads they are, so a week of sales finds its lines by index instead of a
# hash join over every sale line.
WORK_MEM = "256MB"
RANDOM_PAGE_COST = "1.1"


def _begin() -> None:
    db.session.flush()
    if postgres():
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dashboards:rollup'))"))
        db.session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        db.session.execute(text(f"SET LOCAL random_page_cost = {RANDOM_PAGE_COST}"))


def changed_days(since: date) -> list[date]:
    """The business days before `since` of the sales refunded from `since` on."""
    stmt = text(f"""
        SELECT DISTINCT {sql.day('s.created_at')} FROM sale_refunds r JOIN sales s ON s.id = r.sale_id
        WHERE r.created_at >= :lo AND s.created_at < :lo""").bindparams(bindparam("lo", type_=DateTime(timezone=True)))
    days = db.session.execute(stmt, {"lo": day_start(since)}).scalars()
    return sorted(d if isinstance(d, date) else date.fromisoformat(d) for d in days)


def ranges(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days folded into (first, last) ranges."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def nightly(now: datetime, lookback_days: int = LOOKBACK_DAYS) -> dict:
    """The nightly run at `now`: returns what it covered."""
    _begin()
    today = business_day(now)
    since = today - timedelta(days=lookback_days)
    older = changed_days(since)
    for first, last in ranges(older) + [(since, today)]:
        day_rollups.recompute(first, last)
    snapshots.take(today, now)
    return {"from": since.isoformat(), "to": today.isoformat(), "older_days": len(older)}


def rebuild(first: date, last: date, now: datetime) -> dict:
    """Recompute the days first..last; today's snapshots too when the range reaches today."""
    _begin()
    day_rollups.recompute(first, last)
    today = business_day(now)
    if first <= today <= last:
        snapshots.take(today, now)
    if postgres():  # a long range rewrites most rows: fresh statistics for the next runs' plans
        db.session.execute(text(f"ANALYZE {', '.join(TABLES)}"))
    return {"from": first.isoformat(), "to": last.isoformat(), "snapshots": first <= today <= last}


def first_sale_day() -> date | None:
    at = db.session.execute(text("SELECT MIN(created_at) FROM sales")).scalar()
    if at is None:
        return None
    if isinstance(at, str):  # SQLite: naive UTC text
        at = datetime.fromisoformat(at)
    return business_day(at if at.tzinfo else at.replace(tzinfo=timezone.utc))

