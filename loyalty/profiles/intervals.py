"""A member's own median interval between visit days: the one place it is computed, for
the nightly profiles (loyalty.profiles.compute) and for recall (loyalty.reminders.recall).

A visit day is a Shanghai day with at least one sale; the intervals are the whole days
between consecutive visit days; the median of n intervals is the middle one (n odd) or
the mean of the two middle ones (n even), so it can end in .5. Worked example: visit
days 1, 3, 10 and 20 October: intervals 2, 7, 10, median 7; add 22 October (interval 2):
2, 2, 7, 10, median (2 + 7) / 2 = 4.5.
"""
from __future__ import annotations

from loyalty.reminders import sql


def median_sql(visit_days: str) -> str:
    """A SELECT of (member_id, median, intervals) for the members of `visit_days` (a SELECT
    of DISTINCT member_id, day) with at least :min_intervals intervals between them."""
    gap = sql.days_between("v.day", "LAG(v.day) OVER (PARTITION BY v.member_id ORDER BY v.day)")
    return f"""WITH v AS ({visit_days}),
                 gaps AS (SELECT v.member_id, {gap} AS gap FROM v),
                 ranked AS (SELECT member_id, gap,
                                   ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY gap) AS rn,
                                   COUNT(*) OVER (PARTITION BY member_id) AS n
                            FROM gaps WHERE gap IS NOT NULL)
            SELECT member_id, AVG(gap) AS median, MAX(n) AS intervals FROM ranked
            WHERE n >= :min_intervals AND rn IN ((n + 1) / 2, (n + 2) / 2)
            GROUP BY member_id"""
