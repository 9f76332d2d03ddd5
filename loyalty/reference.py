"""Reference data — stations and their prices, fuel grades, tiers, the active rule book,
and the operators' wording (notice templates per kind, reply texts: models/wording.py) —
read once per process and kept until it changes.

Every change of those tables moves `reference_version` (database triggers, migrations
0015 and 0022: load-rules, the console, the seed, a hand-written UPDATE alike). A transaction looks
at the version once: loyalty.once.lock reads it in the same round trip as its lock, any
other caller with one small SELECT. When it differs from the cached copy's, the copy is
read again. The copy holds frozen values, never ORM objects: it is shared by the threads
of the process and outlives every session.

Within a transaction that itself changes reference data, the next `current()` looks at
the version again (a flush of a reference model, or `forget()` after a Core UPDATE), and
what it reads is that transaction's alone: never kept as the process's copy. (On
PostgreSQL the version is the writing transaction's id, the same for each of its
statements, so a copy kept after its first change would hide its second.)
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from extensions import db
from models import (EarningRule, FuelGrade, NoticeTemplate, PointsMultiplier, ReferenceVersion, ReplyText, RuleSet,
                    Station, StationPrice, Tier)

_SEEN = "youka_reference_seen"  # session.info: (transaction, version) looked at in that transaction
_WROTE = "youka_reference_wrote"  # session.info: the transaction that changed reference data
_WATCHED = (Station, StationPrice, FuelGrade, Tier, RuleSet, EarningRule, PointsMultiplier, NoticeTemplate, ReplyText)


@dataclass(frozen=True)
class StationRef:
    id: int
    code: str
    name: str
    city: str | None
    active: bool


@dataclass(frozen=True)
class TierRef:
    """A tier as plain values: what pricing, the points engine and upgrades read."""
    id: int
    code: str
    name: str
    rank: int
    threshold: int
    per_litre_discount_fen: int
    points_multiplier: Decimal
    perks: str | None
    is_trial: bool
    upgrade_reward_points: int
    upgrade_reward_coupon: str | None


@dataclass(frozen=True)
class Reference:
    version: int | None
    stations: dict[str, StationRef]  # by code, inactive ones too
    grades: tuple[str, ...]
    prices: dict[int, dict[str, int | None]]  # station id -> every grade -> its listed price (None: not sold)
    tiers: tuple[TierRef, ...]  # by rank, lowest first
    ruleset: "Ruleset"  # noqa: F821 (loyalty.rules.engine)
    # (channel, kind) -> {"template_id", "keys", "link"}, or None: switched off (loyalty.notices.templates)
    notice_templates: dict[tuple[str, str], dict | None]
    replies: dict[str, str]  # an editable reply's name -> the operators' text (loyalty.reply_texts)

    def tier(self, tier_id: int | None) -> TierRef | None:
        """The tier with this id, or None."""
        return next((t for t in self.tiers if t.id == tier_id), None) if tier_id is not None else None

    @property
    def ladder(self) -> list[TierRef]:
        """The tiers a metric can reach (trial-only tiers left out), lowest first."""
        return [t for t in self.tiers if not t.is_trial]


def version_column():
    """The version as a scalar subquery, for a caller that reads it in the same round trip as
    something else (then `saw(value)`)."""
    return select(ReferenceVersion.version).where(ReferenceVersion.id == 1).scalar_subquery()


def saw(version: int | None) -> None:
    """Record the version this transaction read (see version_column)."""
    session = db.session()
    session.info[_SEEN] = (session.get_transaction(), version)


def forget() -> None:
    """Look at the version again in this transaction (after a change of reference data by a
    Core statement, which no flush event sees)."""
    session = db.session()
    session.info.pop(_SEEN, None)
    session.info[_WROTE] = session.get_transaction()


def current() -> Reference:
    """The reference data as of this transaction's version: the process's cached copy, read
    again when the version moved. No version row (a freshly emptied database): read every time."""
    session = db.session()
    seen = session.info.get(_SEEN)
    if seen is None or seen[0] is not session.get_transaction():
        saw(session.scalar(select(version_column())))
        seen = session.info[_SEEN]
    version = seen[1]
    if session.info.get(_WROTE) is session.get_transaction():  # its own, uncommitted changes
        return _read(version)
    cached = current_app.extensions.get("youka_reference")
    if cached is not None and version is not None and cached.version == version:
        return cached
    fresh = _read(version)
    if version is not None:
        current_app.extensions["youka_reference"] = fresh
    return fresh


def _read(version: int | None) -> Reference:
    from loyalty.rules.loader import read_active_ruleset
    stations = {s.code: StationRef(s.id, s.code, s.name, s.city, s.active)
                for s in db.session.scalars(select(Station))}
    grades = list(db.session.scalars(select(FuelGrade.code)))
    prices: dict[int, dict[str, int | None]] = {s.id: dict.fromkeys(grades) for s in stations.values()}
    for station_id, grade, price in db.session.execute(
            select(StationPrice.station_id, StationPrice.grade_code, StationPrice.price_fen)):
        prices.setdefault(station_id, dict.fromkeys(grades))[grade] = price
    names = [f.name for f in fields(TierRef)]
    tiers = tuple(TierRef(**{n: getattr(t, n) for n in names})
                  for t in db.session.scalars(select(Tier).order_by(Tier.rank)))
    notice_templates = {(t.channel, t.kind): ({"template_id": t.template_id, "keys": dict(t.keys), "link": t.link}
                                              if t.active else None)
                        for t in db.session.scalars(select(NoticeTemplate))}
    replies = dict(db.session.execute(select(ReplyText.name, ReplyText.text)).all())
    return Reference(version, stations, tuple(grades), prices, tiers, read_active_ruleset(), notice_templates,
                     replies)


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context) -> None:
    """A flush that changed reference data: this transaction must look at the version again."""
    if any(isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_SEEN, None)
        session.info[_WROTE] = session.get_transaction()
