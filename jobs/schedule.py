"""The periodic jobs, as data: `rq cron jobs/schedule.py --url $REDIS_URL` reads it.

Each entry names a job function, its queue, and either `interval` (seconds) or
`cron` (a crontab line, in the server's local time). An interval job also runs once
as soon as `rq cron` starts, so a fresh stack proves the path end to end at once.

Every entry has a `name`: rq 3 names a cron job by it (default: the function's dotted
path), keeps the ids of the jobs it spawned under `rq:cron_job:<name>:jobs`, and gives
each spawned job a fresh random id; the names are what stays the same from run to run.
"""
from __future__ import annotations

from rq import cron

from jobs import campaigns, dashboards, housekeeping, loyalty, notices, notify

SCHEDULE = [
    {"func": housekeeping.heartbeat, "queue_name": "default", "interval": 60},
    # Lots expire at a month boundary (Shanghai); an hourly run catches them within the hour.
    {"func": loyalty.expire_points, "queue_name": "default", "cron": "7 * * * *"},
    {"func": loyalty.expire_coupons, "queue_name": "default", "cron": "17 * * * *"},
    # Downgrades only ever happen here, once a day.
    {"func": loyalty.review_tiers, "queue_name": "default", "cron": "30 3 * * *"},
    # Member profiles, RFM segments and tags, as of the start of the Shanghai day (so any
    # hour gives the same result; under a minute for 1,000,000 members, bench/profiles.py):
    # before the notices and anything else (campaign triggers) that reads them.
    {"func": loyalty.compute_profiles, "queue_name": "default", "cron": "40 0 * * *",
     "name": "loyalty.compute_profiles"},
    # The daily notices run twice a day: they are idempotent per business day (Shanghai),
    # so the second run writes only what a failed first run missed. Whatever the server's
    # time zone, each run writes for its own Shanghai day; quiet hours are the sender's.
    {"func": notices.points_expiring, "queue_name": "default", "cron": "5 1,7 * * *",
     "name": "notices.points_expiring"},
    {"func": notices.coupon_expiring, "queue_name": "default", "cron": "10 1,7 * * *",
     "name": "notices.coupon_expiring"},
    {"func": notices.birthdays, "queue_name": "default", "cron": "15 1,7 * * *", "name": "notices.birthdays"},
    {"func": notices.recall, "queue_name": "default", "cron": "20 1,7 * * *", "name": "notices.recall"},
    {"func": notices.inspection, "queue_name": "default", "cron": "25 1,7 * * *", "name": "notices.inspection"},
    # Campaigns (docs/campaigns.md): the trigger campaigns enter today's members, twice
    # a day like the notices (the second run adds only what a failed first run missed).
    {"func": campaigns.triggers, "queue_name": "default", "cron": "40 1,7 * * *", "name": "campaigns.triggers"},
    # Surveys follow visits: every half hour, for sales at least 30 minutes old.
    {"func": notices.surveys, "queue_name": "default", "cron": "*/30 * * * *", "name": "notices.surveys"},
    # The dashboards' rollups (docs/console.md): the last 7 Shanghai days (and older days whose
    # sales were refunded since) and today's snapshots; any hour of the night will do.
    {"func": dashboards.rollup, "queue_name": "default", "cron": "40 2 * * *", "name": "dashboards.rollup"},
    # Pushes (docs/pushes.md): rows a dead worker or a Redis outage left, deferred ones now due.
    {"func": notify.sweep, "queue_name": "notify", "interval": 60, "name": "notify.sweep"},
    # The shared access token and jsapi_ticket, renewed 10 minutes before they expire.
    {"func": notify.refresh_tokens, "queue_name": "notify", "interval": 300, "name": "notify.refresh_tokens"},
]

for entry in SCHEDULE:
    cron.register(**entry)
