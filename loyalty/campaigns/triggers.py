"""The daily run of the trigger campaigns: every running campaign with a trigger enters
today's members (its segment and its trigger, set-based: loyalty.campaigns.entry), each
member at most once per campaign, or once per cooldown. One transaction per campaign, so
one campaign's failure leaves the others' entries (in production it is logged with the
campaign and the run goes on; under TESTING it raises, so a bug fails its test); a rerun
the same day adds nothing (the entries exclude who is in, the offers are keyed by day)."""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from extensions import db
from loyalty.books.ledger import utc
from loyalty.campaigns import entry
from models import Campaign

log = logging.getLogger("youka.campaigns")


def run_daily(now: datetime | None = None) -> dict[str, dict]:
    """{campaign code: entry counts} for every running trigger campaign (commits each)."""
    now = utc(now)
    codes = db.session.scalars(select(Campaign.code).where(Campaign.status == "running",
                                                           Campaign.schedule == "trigger")
                               .order_by(Campaign.id)).all()
    results: dict[str, dict] = {}
    for code in codes:
        campaign = db.session.scalars(select(Campaign).where(Campaign.code == code)).one()
        try:
            results[code] = entry.enter(campaign, now)
            db.session.commit()
        except Exception:  # any failure: the other campaigns still enter today
            db.session.rollback()
            log.exception("campaign %s: the daily entry failed", code, extra={"campaign": code})
            if current_app.config["TESTING"]:
                raise
            results[code] = {"error": 1}
    return results
