"""The web faces' clock: what the station API and the cashier page pass as `now` to
loyalty (pricing, member day, member codes, the daily cap, refunds, top-ups). The real
time, unless the app's config pins it with PINNED_NOW (an aware datetime; tests only),
so that a test through a web face gets the same member-day and cap arithmetic on every
day of the week, and never flakes at midnight going into Tuesday."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app


def now() -> datetime:
    """The time this request happens at, aware UTC."""
    pinned = current_app.config.get("PINNED_NOW")
    return pinned.astimezone(timezone.utc) if pinned is not None else datetime.now(timezone.utc)
