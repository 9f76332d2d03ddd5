"""Rows left `sending` past their lease (the worker died mid-send): a template message is
sent again with the same client_msg_id, which WeChat sends once per openid within 10
minutes (checked again at the resend's claim: too old, it is `unknown`); any other
channel is marked `unknown` and never sent twice. The sweeper (jobs/notify.py) calls it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from extensions import db
from loyalty.notices.delivery import TEMPLATE_DEDUP
from loyalty.notices.writes import id_in
from models import Delivery, Outbox


def reconcile(now: datetime) -> dict[str, int]:
    """Rows left `sending` past their lease (commits). Returns counts by what was done."""
    stale = db.session.execute(
        select(Outbox.id, Outbox.channel).where(Outbox.status == "sending", Outbox.next_attempt_at < now)
        .with_for_update(skip_locked=True)).all()
    if not stale:
        db.session.rollback()
        return {"resend": 0, "unknown": 0}
    latest = dict(db.session.execute(
        select(Delivery.outbox_id, Delivery.created_at).where(id_in(Delivery.outbox_id, [s.id for s in stale]),
                                                              Delivery.outcome == "sending")).all())
    resend, unknown = [], []
    for row in stale:
        started = latest.get(row.id)
        if row.channel == "template" and started is not None and now - started < TEMPLATE_DEDUP:
            resend.append(row.id)
        else:
            unknown.append(row.id)
    if resend:
        db.session.execute(update(Outbox).where(id_in(Outbox.id, resend))
                           .values(status="pending", next_attempt_at=None, last_error="reconciled: resend"))
        # The attempt's outcome is unknown; the resend carries the same client_msg_id.
        db.session.execute(update(Delivery).where(id_in(Delivery.outbox_id, resend), Delivery.outcome == "sending")
                           .values(outcome="retry", reason="worker_lost", finished_at=now))
    if unknown:
        db.session.execute(update(Outbox).where(id_in(Outbox.id, unknown))
                           .values(status="unknown", next_attempt_at=None, last_error="worker lost mid-send"))
        db.session.execute(update(Delivery).where(id_in(Delivery.outbox_id, unknown), Delivery.outcome == "sending")
                           .values(outcome="unknown", reason="worker_lost", finished_at=now))
    db.session.commit()
    return {"resend": len(resend), "unknown": len(unknown)}
