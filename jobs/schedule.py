"""The periodic jobs, as data: `rq cron jobs/schedule.py --url $REDIS_URL` reads it.

Each entry names a job function, its queue, and either `interval` (seconds) or
`cron` (a crontab line, in the server's local time). An interval job also runs once
as soon as `rq cron` starts, so a fresh stack proves the path end to end at once.
"""
from __future__ import annotations

from rq import cron

from jobs import housekeeping, loyalty, notify

SCHEDULE = [
    {"func": housekeeping.heartbeat, "queue_name": "default", "interval": 60},
    # Lots expire at a month boundary (Shanghai); an hourly run catches them within the hour.
    {"func": loyalty.expire_points, "queue_name": "default", "cron": "7 * * * *"},
    {"func": loyalty.expire_coupons, "queue_name": "default", "cron": "17 * * * *"},
    # Downgrades only ever happen here, once a day.
    {"func": loyalty.review_tiers, "queue_name": "default", "cron": "30 3 * * *"},
    # Pushes (docs/pushes.md): rows a dead worker or a Redis outage left, deferred ones now due.
    {"func": notify.sweep, "queue_name": "notify", "interval": 60, "name": "notify-sweep"},
    # The shared access token and jsapi_ticket, renewed 10 minutes before they expire.
    {"func": notify.refresh_tokens, "queue_name": "notify", "interval": 300, "name": "notify-refresh-tokens"},
]

for entry in SCHEDULE:
    cron.register(**entry)
