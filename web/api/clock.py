"""The station API's clock: what it passes as `now` to loyalty (pricing, member day, member
codes, the daily cap). The real time, unless the app's config pins it with
STATION_API_NOW (an aware datetime; tests only), so that a test through the API gets the
same member-day and cap arithmetic every day of the week."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app


def now() -> datetime:
    """The time a station API request happens at, aware UTC."""
    pinned = current_app.config.get("STATION_API_NOW")
    return pinned.astimezone(timezone.utc) if pinned is not None else datetime.now(timezone.utc)
