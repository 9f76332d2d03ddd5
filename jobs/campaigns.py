"""The campaigns' daily trigger run (loyalty/campaigns/triggers.py), on the schedule."""
from __future__ import annotations

import logging

from jobs import in_app_context

log = logging.getLogger("youka.jobs")


@in_app_context
def triggers() -> dict:
    """Every running trigger campaign enters today's members (set-based, once each)."""
    from loyalty.campaigns import triggers as daily
    results = daily.run_daily()
    log.info("campaign triggers: %s", results)
    return results
