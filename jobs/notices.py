"""The periodic notice producers (loyalty/reminders/): each run is one transaction of
set-based statements over all members, idempotent per business day, so a rerun (a
retried job, a second run the same day) writes nothing more. They only write outbox
rows; the delivery side sends them."""
from __future__ import annotations

import logging

from extensions import db
from jobs import in_app_context

log = logging.getLogger("youka.jobs")


def _produce(name: str, write_due) -> int:
    written = write_due()
    db.session.commit()
    log.info("%s: %d notices written", name, written)
    return written


@in_app_context
def points_expiring() -> int:
    """Points expiring in 30 and in 7 days: one notice per member and date."""
    from loyalty.reminders import points
    return _produce("points_expiring", points.write_due)


@in_app_context
def coupon_expiring() -> int:
    """Coupons expiring in 3 days: one notice per member and date."""
    from loyalty.reminders import coupons
    return _produce("coupon_expiring", coupons.write_due)


@in_app_context
def birthdays() -> int:
    """Today's birthdays: a coupon and a notice, once a year."""
    from loyalty.reminders import birthdays as producer
    return _produce("birthday", producer.write_due)


@in_app_context
def recall() -> int:
    """Dormant members who opted in to marketing: a recall coupon and a notice."""
    from loyalty.reminders import recall as producer
    return _produce("recall", producer.write_due)


@in_app_context
def inspection() -> int:
    """Vehicle inspections due in 30 days."""
    from loyalty.reminders import inspection as producer
    return _produce("inspection", producer.write_due)


@in_app_context
def surveys() -> int:
    """A satisfaction survey after recent visits."""
    from loyalty.reminders import surveys as producer
    return _produce("survey", producer.write_due)
