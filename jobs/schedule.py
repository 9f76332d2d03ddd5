"""The periodic jobs, as data: `rq cron jobs/schedule.py --url $REDIS_URL` reads it.

Each entry names a job function, its queue, and either `interval` (seconds) or
`cron` (a crontab line, in the server's local time). An interval job also runs once
as soon as `rq cron` starts, so a fresh stack proves the path end to end at once.
"""
from __future__ import annotations

from rq import cron

from jobs import housekeeping, loyalty

SCHEDULE = [
    {"func": housekeeping.heartbeat, "queue_name": "default", "interval": 60},
    # Lots expire at a month boundary (Shanghai); an hourly run catches them within the hour.
    {"func": loyalty.expire_points, "queue_name": "default", "cron": "7 * * * *"},
    {"func": loyalty.expire_coupons, "queue_name": "default", "cron": "17 * * * *"},
    # Downgrades only ever happen here, once a day.
    {"func": loyalty.review_tiers, "queue_name": "default", "cron": "30 3 * * *"},
]

for entry in SCHEDULE:
    cron.register(**entry)
