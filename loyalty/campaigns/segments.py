"""Saved segments: a code, a name and filters (loyalty.campaigns.filters), and a dry run
that counts the members who match today and shows a few of them, phones masked.

    save(code, name, filters, staff=, reason=)   create or edit; a change record (segment)
    dry_run(filters, now)                         -> DryRun(count, sample)
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty import changes
from loyalty.books.ledger import utc
from loyalty.campaigns import filters
from loyalty.config_fields import CODE, check_code
from loyalty.errors import NotFound, ValidationError
from loyalty.people.members import mask_phone
from loyalty.reminders import sql
from loyalty.transaction import all_or_nothing
from models import Segment, Staff

SAMPLE = 10
MAX_FILTERS = 12


@dataclass(frozen=True)
class Sampled:
    member_id: int
    phone: str       # masked
    tier: str | None


@dataclass(frozen=True)
class DryRun:
    count: int
    sample: list[Sampled]


def parse(raw) -> list[dict]:
    """Filters from the console's JSON text (or a list already): each checked (filters.clean)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "[]")
        except ValueError:
            raise ValidationError("筛选条件不是合法的 JSON", field="filters") from None
    if not isinstance(raw, list) or len(raw) > MAX_FILTERS:
        raise ValidationError(f"筛选条件应是最多 {MAX_FILTERS} 项的列表", field="filters")
    return [filters.clean(spec) for spec in raw]


def members_sql(specs: list[dict], ctx: filters.Context) -> str:
    """SELECT m.id AS member_id of the members matching every filter (binds into ctx)."""
    return f"SELECT m.id AS member_id FROM members m WHERE {filters.conditions(specs, ctx)}"


def dry_run(specs, now: datetime | None = None) -> DryRun:
    """How many members match today, and the first few (by id). Writes nothing lasting
    (the temporary tables of dormancy filters are dropped)."""
    specs, ctx = parse(specs), filters.context(utc(now))
    try:
        chosen = members_sql(specs, ctx)
        count = int(sql.execute(f"SELECT count(*) FROM ({chosen}) c", **ctx.binds).scalar())
        rows = sql.execute(f"""SELECT m.id, m.phone, t.name FROM members m LEFT JOIN tiers t ON t.id = m.tier_id
                               WHERE m.id IN ({chosen}) ORDER BY m.id LIMIT {SAMPLE}""", **ctx.binds).all()
    finally:
        filters.cleanup(ctx)
    return DryRun(count, [Sampled(r[0], mask_phone(r[1]), r[2]) for r in rows])


def find(code: str | None) -> Segment | None:
    """The segment `code`, or None (also for what cannot be a code: never sent to the database)."""
    code = (code or "").strip()
    if not CODE.match(code):
        return None
    return db.session.scalars(select(Segment).where(Segment.code == code)).first()


def get(code: str) -> Segment:
    segment = find(code)
    if segment is None:
        raise NotFound("人群不存在", field="code")
    return segment


def save(code: str, name: str, raw_filters, *, staff: Staff | None, reason: str,
         now: datetime | None = None) -> Segment:
    """Create the segment `code` or replace its name and filters; commits with its record."""
    with all_or_nothing():
        segment = put(code, name, raw_filters, staff=staff, reason=reason, now=now)
        db.session.commit()
    return segment


def put(code: str, name: str, raw_filters, *, staff: Staff | None, reason: str,
        now: datetime | None = None) -> Segment:
    """`save` without the commit (flushed with its change record)."""
    reason, code = changes.require_reason(reason), check_code(code)
    name = changes.check_plain((name or "").strip(), "name")
    if not name or len(name) > 64:
        raise ValidationError("名称应为 1-64 字", field="name")
    specs = parse(raw_filters)
    segment = find(code)
    before = None if segment is None else {"name": segment.name, "filters": segment.filters}
    if segment is None:
        segment = Segment(code=code)
        db.session.add(segment)
    segment.name, segment.filters = name, specs
    db.session.flush()
    changes.record("segment", code, "create" if before is None else "update", staff=staff, reason=reason,
                   before=before, after={"name": name, "filters": specs}, now=now)
    return segment
