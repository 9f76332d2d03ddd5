"""Periodic loyalty jobs: each is one set-based run over all members, committed as one
transaction, and safe to run again (a rerun finds nothing left to do)."""
from __future__ import annotations

import logging

from extensions import db
from jobs import in_app_context

log = logging.getLogger("youka.jobs")


@in_app_context
def expire_points() -> int:
    """Post expiry entries for every point lot that is due."""
    from loyalty.books import points
    accounts = points.expire_due()
    db.session.commit()
    log.info("points expired on %d accounts", accounts)
    return accounts


@in_app_context
def expire_coupons() -> int:
    """Mark every issued coupon whose window has closed as expired."""
    from loyalty.benefits import coupons
    count = coupons.expire_due()
    db.session.commit()
    log.info("%d coupons expired", count)
    return count


@in_app_context
def review_tiers() -> dict:
    """The periodic tier review: downgrades past their grace period, trials ended."""
    from loyalty.benefits import tiers
    counts = tiers.review()
    db.session.commit()
    log.info("tier review: %s", counts)
    return counts


@in_app_context
def compute_profiles() -> dict:
    """The nightly member profiles, RFM segments and tags (loyalty.profiles.compute)."""
    from loyalty.profiles import compute
    done = compute.run()
    db.session.commit()
    log.info("profiles: %d members; tags %s", done.members, done.tags)
    return {"members": done.members, "tags": done.tags}
