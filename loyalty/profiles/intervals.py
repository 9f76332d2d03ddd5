"""A member's own median interval between visit days: the one place it is computed, for
the nightly profiles (loyalty.profiles.compute) and for recall (loyalty.reminders.recall).

A visit day is a Shanghai day with at least one sale; the intervals are the whole days
between consecutive visit days; the median of n intervals is the middle one (n odd) or
the mean of the two middle ones (n even), so it can end in .5. Worked example: visit
days 1, 3, 10 and 20 October: intervals 2, 7, 10, median 7; add 22 October (interval 2):
2, 2, 7, 10, median (2 + 7) / 2 = 4.5.

The intervals are the non-zero differences between the days of consecutive sales in time
order (two sales on one day differ by 0), so the sales need no DISTINCT and, on
PostgreSQL, come in the order of the index (member_id, created_at) without a sort; the
median there is percentile_cont(0.5), the mean of the two middle values (exact: a whole
or half number of days). SQLite ranks the intervals instead.
"""
from __future__ import annotations

from loyalty.reminders import sql


def median_sql(sales: str) -> str:
    """A SELECT of (member_id, median, intervals) for the members of `sales` (a SELECT of
    s.member_id, s.created_at rows) with at least :min_intervals intervals."""
    if sql.postgres():
        day = "((CAST(EXTRACT(EPOCH FROM v.created_at) AS BIGINT) + 28800) / 86400)"  # Shanghai is UTC+8 all year
        return f"""SELECT member_id, CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS NUMERIC(7, 1)) AS median,
                          COUNT(*) AS intervals
                   FROM (SELECT v.member_id, {day} - LAG({day}) OVER (PARTITION BY v.member_id ORDER BY v.created_at)
                                AS gap
                         FROM ({sales}) v) g
                   WHERE gap > 0 GROUP BY member_id HAVING COUNT(*) >= :min_intervals"""
    day = sql.local_date("v.created_at")
    gap = sql.days_between(day, f"LAG({day}) OVER (PARTITION BY v.member_id ORDER BY v.created_at)")
    return f"""WITH gaps AS (SELECT v.member_id, {gap} AS gap FROM ({sales}) v),
                 ranked AS (SELECT member_id, gap,
                                   ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY gap) AS rn,
                                   COUNT(*) OVER (PARTITION BY member_id) AS n
                            FROM gaps WHERE gap > 0)
            SELECT member_id, AVG(gap) AS median, MAX(n) AS intervals FROM ranked
            WHERE n >= :min_intervals AND rn IN ((n + 1) / 2, (n + 2) / 2)
            GROUP BY member_id"""
