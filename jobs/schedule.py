"""The periodic jobs, as data: `rq cron jobs/schedule.py --url $REDIS_URL` reads it.

Each entry names a job function, its queue, and either `interval` (seconds) or
`cron` (a crontab line, in the server's local time). An interval job also runs once
as soon as `rq cron` starts, so a fresh stack proves the path end to end at once.
"""
from __future__ import annotations

from rq import cron

from jobs import housekeeping

SCHEDULE = [
    {"func": housekeeping.heartbeat, "queue_name": "default", "interval": 60},
]

for entry in SCHEDULE:
    cron.register(**entry)
