"""Points expiring: one notice per member and expiry date, with the total, 30 and 7 days
ahead (policy.points_expiring_days), not one per lot.

Lots expire at a month boundary (loyalty/books/points/lots.py): a lot's `expires_at` is
the first instant of a month in Shanghai, and its last day is the day before. "N days
ahead" counts today: on 2026-12-02 the 500 points whose lots end at 2027-01-01 00:00
have 30 days left (2026-12-02 .. 2026-12-31), so that day writes

    points_expiring:30:<member>:2026-12-31  {"days": 30, "expires_on": "2026-12-31", "points": 500}

`expires_on` is the last day the points can be spent, as the 积分 reply and the H5 page
show it. A family pool's points are the owner's to hear of (the owner always may spend
them): the owner's notice counts their own points and the pool's together; the other
members of the family, whose points moved into the pool, get none for them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from loyalty import policy as policies
from loyalty.books.ledger import utc
from loyalty.policy import Policy
from loyalty.reminders import sql

KIND = "points_expiring"

_WRITE = f"""{sql.OUTBOX_INSERT}
SELECT '{KIND}', :key_head || {sql.as_text('m.id')} || :key_tail, m.id,
       :payload_head || {sql.as_text('SUM(l.remaining)')} || '}}', :now
FROM point_lots l
JOIN accounts a ON a.id = l.account_id
LEFT JOIN families f ON f.id = a.family_id
JOIN members m ON m.id = COALESCE(a.member_id, f.owner_id)
WHERE l.remaining > 0 AND l.expires_at > :lo AND l.expires_at <= :hi AND {sql.REACHABLE}
GROUP BY m.id
ON CONFLICT (dedup_key) DO NOTHING"""


def write_due(now: datetime | None = None, policy: Policy | None = None) -> int:
    """Write today's points-expiring notices (flushed); returns how many."""
    now, policy = utc(now), policy or policies.current()
    sql.lock(KIND)
    today, written = sql.business_day(now), 0
    for days in policy.points_expiring_days:
        last = today + timedelta(days=days - 1)
        lo, hi = sql.last_day_bounds(last)
        written += sql.run(_WRITE, key_head=f"{KIND}:{days}:", key_tail=f":{last.isoformat()}",
                           payload_head=f'{{"days": {days}, "expires_on": "{last.isoformat()}", "points": ',
                           lo=lo, hi=hi, now=now)
    return written
