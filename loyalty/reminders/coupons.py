"""Coupons expiring: one notice per member and last day, listing the coupons, when
policy.coupon_expiring_days (3) days are left counting today.

A coupon is valid until `valid_until` (exclusive); its last day is the Shanghai day of
the moment before. On 2026-12-03 a coupon ending 2026-12-06 00:00 (last day 2026-12-05)
has 3 days left:

    coupon_expiring:<member>:2026-12-05  {"count": 2, "coupon_ids": [7, 9], "expires_on": "2026-12-05"}

Only coupons still `issued` count (used, expired or void ones need no reminder). The ids
listed are the first 50 by id (the payload stays small); `count` is all of them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from loyalty import policy as policies
from loyalty.books.ledger import utc
from loyalty.policy import Policy
from loyalty.reminders import sql

KIND = "coupon_expiring"
LISTED = 50


def _write_sql() -> str:
    ids = ("string_agg(CAST(c.id AS VARCHAR(20)), ', ' ORDER BY c.id)" if sql.postgres()
           else "group_concat(c.id, ', ')")
    return f"""{sql.OUTBOX_INSERT}
SELECT '{KIND}', :key_head || {sql.as_text('t.member_id')} || :key_tail, t.member_id,
       '{{"count": ' || {sql.as_text('t.n')} || ', "coupon_ids": [' || t.ids || '], "expires_on": "' || :last || '"}}',
       :now
FROM (SELECT c.member_id, MAX(c.n) AS n, {ids} AS ids
      FROM (SELECT c.id, c.member_id,
                   ROW_NUMBER() OVER (PARTITION BY c.member_id ORDER BY c.id) AS rn,
                   COUNT(*) OVER (PARTITION BY c.member_id) AS n
            FROM coupons c JOIN members m ON m.id = c.member_id
            WHERE c.status = 'issued' AND c.valid_until > :lo AND c.valid_until <= :hi AND {sql.REACHABLE}
            ORDER BY c.member_id, c.id) c
      WHERE c.rn <= {LISTED}
      GROUP BY c.member_id) t
WHERE true
ON CONFLICT (dedup_key) DO NOTHING"""


def write_due(now: datetime | None = None, policy: Policy | None = None) -> int:
    """Write today's coupon-expiring notices (flushed); returns how many."""
    now, policy = utc(now), policy or policies.current()
    sql.lock(KIND)
    last = sql.business_day(now) + timedelta(days=policy.coupon_expiring_days - 1)
    lo, hi = sql.last_day_bounds(last)
    return sql.run(_write_sql(), key_head=f"{KIND}:", key_tail=f":{last.isoformat()}", last=last.isoformat(),
                   lo=lo, hi=hi, now=now)
