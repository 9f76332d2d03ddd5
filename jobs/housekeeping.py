"""Jobs that keep the service itself healthy, rather than serving members."""
from __future__ import annotations

from datetime import datetime, timezone

from extensions import get_redis
from jobs import in_app_context

LAST_TICK_KEY = "youka:cron:last_tick"


@in_app_context
def heartbeat() -> str:
    """Record when the scheduler last got a job through a worker: an old value means
    `rq cron` or every worker is down, which nothing else would notice."""
    tick = datetime.now(timezone.utc).isoformat(timespec="seconds")
    get_redis().set(LAST_TICK_KEY, tick)
    return tick


def last_tick() -> str | None:
    """The time of the last heartbeat (ISO 8601, UTC), or None if there was none."""
    value = get_redis().get(LAST_TICK_KEY)
    return value.decode() if value is not None else None
