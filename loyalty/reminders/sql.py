"""What the producers share: the business day, its bounds as UTC instants, the members
who may be written to, and running a statement on PostgreSQL or SQLite."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Date, DateTime, bindparam, text

from extensions import db
from loyalty.books.ledger import utc
from loyalty.policy import BUSINESS_TZ

# Erased members and members who never consented to the privacy terms get no notice.
REACHABLE = "m.deleted_at IS NULL AND m.consent_at IS NOT NULL"

OUTBOX_INSERT = "INSERT INTO outbox (kind, dedup_key, member_id, payload, created_at)"


def business_day(now: datetime) -> date:
    """The Shanghai date of `now`."""
    return utc(now).astimezone(BUSINESS_TZ).date()


def day_start(day: date) -> datetime:
    """The first instant of a Shanghai day, in UTC."""
    return datetime.combine(day, time(), BUSINESS_TZ).astimezone(timezone.utc)


def last_day_bounds(day: date) -> tuple[datetime, datetime]:
    """(lo, hi): an exclusive end instant `e` has `day` as its last day (the day of the
    moment before it, as the member is shown it) exactly when lo < e <= hi."""
    return day_start(day), day_start(day + timedelta(days=1))


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def local_date(column: str) -> str:
    """SQL for the Shanghai date of a UTC timestamp column (Shanghai keeps UTC+8 all year)."""
    return f"CAST(({column} AT TIME ZONE 'Asia/Shanghai') AS DATE)" if postgres() else f"date({column}, '+8 hours')"


def local_weekday(column: str) -> str:
    """SQL for the Shanghai weekday of a UTC timestamp column, Monday 0 .. Sunday 6."""
    if postgres():
        return f"(CAST(EXTRACT(ISODOW FROM ({column} AT TIME ZONE 'Asia/Shanghai')) AS INTEGER) - 1)"
    return f"((CAST(strftime('%w', {column}, '+8 hours') AS INTEGER) + 6) % 7)"


def local_hour(column: str) -> str:
    """SQL for the Shanghai hour (0-23) of a UTC timestamp column."""
    if postgres():
        return f"CAST(EXTRACT(HOUR FROM ({column} AT TIME ZONE 'Asia/Shanghai')) AS INTEGER)"
    return f"CAST(strftime('%H', {column}, '+8 hours') AS INTEGER)"


def greatest(*exprs: str) -> str:
    """SQL for the largest of several non-null expressions."""
    return ("GREATEST(" if postgres() else "max(") + ", ".join(exprs) + ")"


def days_between(later: str, earlier: str) -> str:
    """SQL for the whole days from date `earlier` to date `later`."""
    return f"({later} - {earlier})" if postgres() else f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def as_text(expr: str) -> str:
    return f"CAST({expr} AS VARCHAR(20))"


def run(sql: str, **params) -> int:
    """Execute one statement with its parameters (datetimes and dates typed for both
    databases); returns the rows it wrote."""
    return execute(sql, **params).rowcount


def execute(sql: str, **params):
    """Execute one statement as `run` does; returns its result (rows to read)."""
    stmt = text(sql)
    params = {k: v for k, v in params.items() if f":{k}" in sql}
    for name, value in params.items():
        if isinstance(value, datetime):
            stmt = stmt.bindparams(bindparam(name, type_=DateTime(timezone=True)))
        elif isinstance(value, date):
            stmt = stmt.bindparams(bindparam(name, type_=Date()))
    return db.session.execute(stmt, params)


def lock(name: str) -> None:
    """Serialise two runs of one producer (PostgreSQL; SQLite has one writer anyway): the
    second waits, then sees the first's rows and writes nothing twice."""
    db.session.flush()
    if postgres():
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"reminders:{name}"})
