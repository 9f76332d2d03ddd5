"""The dashboards' rollup job (loyalty.dashboards.rollup): one set-based run, committed as
one transaction, safe to run again (it writes the same rows)."""
from __future__ import annotations

import logging
from datetime import datetime

from extensions import db
from jobs import in_app_context

log = logging.getLogger("youka.jobs")


@in_app_context
def rollup(now: datetime | None = None) -> dict:
    """Recompute the last days' rollups (and older days whose sales changed), then take
    today's snapshots."""
    from loyalty.books.ledger import utc
    from loyalty.dashboards import rollup as rollups
    covered = rollups.nightly(utc(now))
    db.session.commit()
    log.info("dashboards rollup: %s", covered)
    return covered
