"""Reading the delivery log: what `flask notify log` prints and the operators' page shows."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty.people.members import mask_phone
from models import Delivery, Member


@dataclass(frozen=True)
class LogEntry:
    id: int
    at: datetime
    outbox_id: int
    kind: str
    member_id: int | None
    phone: str | None      # masked
    channel: str | None
    outcome: str
    errcode: int | None
    reason: str | None
    attempt: int

    def as_json(self) -> dict:
        values = asdict(self)
        values["at"] = self.at.isoformat(timespec="seconds")
        return values


def entries(*, phone: str | None = None, member_id: int | None = None, kind: str | None = None,
            outcome: str | None = None, last: int = 20) -> list[LogEntry]:
    """The latest `last` deliveries matching the filters, oldest first."""
    query = (select(Delivery, Member.phone).outerjoin(Member, Member.id == Delivery.member_id)
             .order_by(Delivery.id.desc()).limit(last))
    if phone is not None:
        query = query.where(Member.phone == phone)
    if member_id is not None:
        query = query.where(Delivery.member_id == member_id)
    if kind:
        query = query.where(Delivery.kind == kind)
    if outcome:
        query = query.where(Delivery.outcome == outcome)
    rows = db.session.execute(query).all()
    return [LogEntry(d.id, d.created_at, d.outbox_id, d.kind, d.member_id, mask_phone(p) if p else None,
                     d.channel, d.outcome, d.errcode, d.reason, d.attempt) for d, p in reversed(rows)]
