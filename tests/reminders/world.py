"""Shared helpers of the periodic notices' tests: a Shanghai clock, the outbox rows of
a kind, and members who may (or may not) be written to."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

import time_machine
from sqlalchemy import select

from extensions import db
from loyalty.policy import BUSINESS_TZ
from models import Outbox
from tests.factories import make_member


def shanghai(day: str, at: str = "10:00") -> datetime:
    """An aware UTC instant: `day` (YYYY-MM-DD) at `at` in Shanghai."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(at), BUSINESS_TZ).astimezone(timezone.utc)


def on(day: str, job, at: str = "10:00"):
    """Run `job()` with every clock at `day` `at` in Shanghai (time-machine); its result."""
    with time_machine.travel(shanghai(day, at), tick=False):
        return job()


def rows(kind: str) -> list[tuple[str, int, dict]]:
    """(dedup key, member id, payload) of the outbox rows of `kind`, oldest first."""
    db.session.expire_all()
    found = db.session.execute(select(Outbox.dedup_key, Outbox.member_id, Outbox.payload)
                               .where(Outbox.kind == kind).order_by(Outbox.id)).all()
    return [(key, member, json.loads(payload)) for key, member, payload in found]


def consenting(phone: str, **fields):
    return make_member(phone, consent=True, **fields)


def erased(member) -> None:
    from loyalty.people.erasure import erase_member
    erase_member(member.id)
