"""CSV exports for HQ (PRODUCT M14): members, sales, ledger entries, coupons, for a range of
business days (Asia/Shanghai) and optionally one station.

    filters = exports.parse_filters("sales", form)      ValidationError (Chinese) for bad filters
    exports.audit(filters, staff=..., reason=...)       the change record (kind "export"), committed
    for chunk in exports.csv_chunks(filters): ...       bytes: the BOM and header, then a batch at a time

The rows are read in batches of `batch` over a server-side cursor (`yield_per`: PostgreSQL
streams them, nothing but one batch is held), each batch written to CSV and handed on
before the next is read, so an export of ten million rows never sits in memory. Money is
yuan written from integer fen, times are Shanghai times, phones are masked (never the full
number: an export leaves our hands). The columns of each kind are in columns.py and
docs/console.md. Only HQ admins export (web/admin/exports.py, `hq_page`).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator

from sqlalchemy import select

from extensions import db
from loyalty import changes
from loyalty.errors import ValidationError
from loyalty.policy import BUSINESS_TZ
from models import Staff, Station

BOM = "\ufeff".encode()  # UTF-8's byte order mark: Excel then reads the file as UTF-8
BATCH = 2000
MAX_DAYS = 3660  # ten years: a typo in the year is refused, not run over the whole history
FIRST_YEAR, LAST_YEAR = 2000, 2099
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
KIND_NAMES = {"members": "会员", "sales": "消费", "ledger": "账户流水", "coupons": "优惠券"}


@dataclass(frozen=True)
class Filters:
    kind: str
    start: date           # the first business day, inclusive
    end: date             # the last business day, inclusive
    station_id: int | None
    station_code: str | None

    @property
    def since(self) -> datetime:
        """00:00 Shanghai on `start`, as UTC: rows at or after it."""
        return datetime.combine(self.start, time(0), BUSINESS_TZ).astimezone(timezone.utc)

    @property
    def until(self) -> datetime:
        """00:00 Shanghai the day after `end`, as UTC: rows before it."""
        return datetime.combine(self.end + timedelta(days=1), time(0), BUSINESS_TZ).astimezone(timezone.utc)

    def as_record(self) -> dict:
        """What the audit record keeps: the filters, never the data."""
        return {"kind": self.kind, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "station": self.station_code}

    def filename(self) -> str:
        station = f"-{self.station_code}" if self.station_code else ""
        return f"youka-{self.kind}{station}-{self.start:%Y%m%d}-{self.end:%Y%m%d}.csv"


def _day(raw, field: str, label: str) -> date:
    text = (raw or "").strip() if isinstance(raw, str) else ""
    try:
        if not DAY.fullmatch(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{label}应为日期，如 2026-12-01", field=field) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(f"{label}应在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间", field=field)
    return day


def parse_filters(kind: str, form) -> Filters:
    """The filters of an export from a form: `from` and `to` (YYYY-MM-DD, Shanghai, both
    inclusive) and `station` (a station code, or empty for every station)."""
    if kind not in KIND_NAMES:
        raise ValidationError("没有这种导出", field="kind")
    start = _day(form.get("from"), "from", "开始日期")
    end = _day(form.get("to"), "to", "结束日期")
    if end < start:
        raise ValidationError("结束日期不能早于开始日期", field="to")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError("日期范围最长 10 年", field="to")
    code = (form.get("station") or "").strip()
    station_id = None
    if code:
        station_id = db.session.scalar(select(Station.id).where(Station.code == code)) if len(code) <= 16 else None
        if station_id is None:
            raise ValidationError(f"油站 {code[:16]} 不存在", field="station")
    return Filters(kind, start, end, station_id, code or None)


def audit(filters: Filters, *, staff: Staff, reason: str, now: datetime | None = None) -> None:
    """Write and commit the export's change record (who, when, what, the filters), before
    any row is read: an export cut short is on record too."""
    changes.record("export", filters.kind, "export", staff=staff, reason=reason, after=filters.as_record(), now=now)
    db.session.commit()


def _drain(buffer: io.StringIO) -> bytes:
    """What the CSV writer wrote since the last drain, as UTF-8; the buffer emptied."""
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def csv_chunks(filters: Filters, *, batch: int = BATCH) -> Iterator[bytes]:
    """The export as CSV bytes: first the BOM and the header, then one chunk per batch of rows."""
    from loyalty.exports.columns import EXPORTS
    spec = EXPORTS[filters.kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for label, _ in spec.columns])
    yield BOM + _drain(buffer)
    result = db.session.execute(spec.query(filters).execution_options(yield_per=batch))
    try:
        for rows in result.partitions(batch):
            writer.writerows([fn(row) for _, fn in spec.columns] for row in rows)
            yield _drain(buffer)
    finally:
        result.close()
        db.session.rollback()  # a read-only transaction: end it, whether the download finished or not
