"""Recall of dormant members (召回): a coupon of policy.recall_coupon_template and a
marketing notice, for members who opted in to marketing and are dormant today:

- no visit for policy.recall_days (30) days, or
- more than policy.recall_median_factor (2) times their own median interval between
  visit days, counted over the visits of the last recall_history_days (180) days with
  at least recall_min_intervals (3) intervals, and at least recall_floor_days (7) since
  the last visit (a daily commuter missing two days is not dormant).

A visit day is a Shanghai day with at least one sale; days since the last visit count
whole days (a visit yesterday: 1). At most one recall per member within
recall_cooldown_days (the outbox remembers when the last one was written). Worked
example: visits on 1, 11, 21 and 31 October (intervals 10, 10, 10: median 10), today
21 November: 21 days since the last visit > 2 x 10, so a recall; on 20 November (20
days) none yet.

    recall:<member>:2026-11-21  {"coupon_id": 123, "days_since_visit": 21}
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from extensions import db
from loyalty import policy as policies
from loyalty.books.ledger import utc
from loyalty.policy import Policy
from loyalty.profiles import intervals
from loyalty.reminders import issue, sql

KIND = "recall"


def _statements(marketing_only: bool = True, cooldown: bool = True, median: bool = True) -> list[str]:
    last_day = sql.local_date("r.last_at")
    marketing = "JOIN push_preferences p ON p.member_id = m.id AND p.marketing = true" if marketing_only else ""
    recent = (f"""AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.member_id = m.id AND o.kind = '{KIND}'
                              AND o.created_at > :cooldown_start)""" if cooldown else "")
    # The median interval (loyalty.profiles.intervals), where there is enough history; only
    # of those the N-day rule does not already take (the costly part: each visit read).
    visits = """SELECT s.member_id, s.created_at
                     FROM sales s JOIN recall_last r ON r.member_id = s.member_id
                     WHERE r.last_at >= :dormant_end
                       AND s.created_at > :history_start AND s.created_at <= :now"""
    return [
        "DROP TABLE IF EXISTS recall_last",
        "DROP TABLE IF EXISTS recall_median",
        "DROP TABLE IF EXISTS recall_due",
        # Who may be recalled at all, and when they came last (at least the floor ago).
        f"""CREATE TEMPORARY TABLE recall_last AS
            SELECT s.member_id, MAX(s.created_at) AS last_at
            FROM sales s
            JOIN members m ON m.id = s.member_id
            {marketing}
            WHERE {sql.REACHABLE} AND s.created_at <= :now
              {recent}
            GROUP BY s.member_id
            HAVING MAX(s.created_at) < :floor_end""",
        f"""CREATE TEMPORARY TABLE recall_median AS
            {intervals.median_sql(visits)}""" if median else
        "CREATE TEMPORARY TABLE recall_median AS SELECT member_id, 0 AS median FROM recall_last WHERE 1 = 0",
        f"""CREATE TEMPORARY TABLE recall_due AS
            SELECT r.member_id, {sql.days_between(':today', last_day)} AS days_since
            FROM recall_last r LEFT JOIN recall_median d ON d.member_id = r.member_id
            WHERE r.last_at < :dormant_end
               OR (d.median IS NOT NULL AND {sql.days_between(':today', last_day)} > :factor * d.median)""",
    ]


def select_due(now: datetime, policy: Policy, *, marketing_only: bool = True, cooldown: bool = True,
               median: bool = True) -> int:
    """Find today's dormant members into the temporary table recall_due (member_id,
    days_since), dropped by write_due; returns how many. The campaigns' dormancy filters
    (loyalty/campaigns/filters.py) reuse it without the marketing opt-in and the recall
    notice's cooldown (theirs are the segment's and the campaign's), and without the
    median rule for "no visit for N days"."""
    today = sql.business_day(now)
    params = dict(
        now=now, today=today,
        cooldown_start=now - timedelta(days=policy.recall_cooldown_days),
        history_start=now - timedelta(days=policy.recall_history_days),
        # The last visit's day is at least N days before today: it ended before the start
        # of day (today - N + 1).
        floor_end=sql.day_start(today - timedelta(days=policy.recall_floor_days - 1)),
        dormant_end=sql.day_start(today - timedelta(days=policy.recall_days - 1)),
        min_intervals=policy.recall_min_intervals, factor=policy.recall_median_factor)
    for statement in _statements(marketing_only, cooldown, median):
        sql.run(statement, **params)
    return int(db.session.execute(text("SELECT count(*) FROM recall_due")).scalar())


def write_due(now: datetime | None = None, policy: Policy | None = None) -> int:
    """Issue today's recall coupons and write the recall notices (flushed); returns how many."""
    now, policy = utc(now), policy or policies.current()
    sql.lock(KIND)
    today = sql.business_day(now)
    key = f"'{KIND}:' || {sql.as_text('t.member_id')} || :key_tail"
    select_due(now, policy)
    template = issue.template_for(policy.recall_coupon_template, now)
    payload = (f"""'{{"coupon_id": ' || COALESCE({sql.as_text('c.id')}, 'null') || ', "days_since_visit": '"""
               f""" || {sql.as_text('t.days_since')} || '}}'""")
    written = issue.coupons_and_notices(KIND, "SELECT member_id, days_since FROM recall_due", key, payload,
                                        source="trigger", template=template, now=now,
                                        key_tail=f":{today.isoformat()}")
    for table in ("recall_due", "recall_median", "recall_last"):
        sql.run(f"DROP TABLE {table}")
    return written
