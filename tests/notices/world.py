"""Shared set-up for the push tests: a seeded station, a member who follows and chats,
and a burst RQ worker on the notify queue (in this process, inside the test's app)."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from rq import SimpleWorker
from sqlalchemy import select

from extensions import db, get_redis
from jobs.notify import notify_queue
from loyalty import outbox
from loyalty.people import profile
from loyalty.policy import BUSINESS_TZ
from models import Delivery, Outbox

# A Tuesday morning in Shanghai, after today (the tests travel forward, never back).
MORNING = datetime(2027, 1, 5, 10, 0, tzinfo=BUSINESS_TZ)


def work() -> None:
    """Run every queued notify job to the end (RQ's burst mode)."""
    q = notify_queue()
    SimpleWorker([q], connection=q.connection).work(burst=True)


def wrote_now(openid: str) -> None:
    """The member just sent a message (what bot.dispatch records for the 48-hour window)."""
    get_redis().set(f"wx:seen:{openid}", int(time.time()), ex=48 * 3600)


def consent_to_marketing(member) -> None:
    profile.set_push_preferences(member, {"service_notices": True, "reminders": True, "marketing": True})
    db.session.commit()


def add(kind: str, payload: dict, member, key: str | None = None) -> int:
    row = outbox.add(kind, key or f"test:{kind}:{member.id}:{sorted(payload.items())}", payload, member_id=member.id)
    db.session.commit()
    return row.id


def row(outbox_id: int) -> Outbox:
    db.session.expire_all()
    return db.session.get(Outbox, outbox_id)


def deliveries(outbox_id: int | None = None) -> list[Delivery]:
    db.session.expire_all()
    query = select(Delivery).order_by(Delivery.id)
    if outbox_id is not None:
        query = query.where(Delivery.outbox_id == outbox_id)
    return list(db.session.scalars(query))


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)
