"""A dashboard request's filters: `from` and `to` (Shanghai dates, YYYY-MM-DD, inclusive;
by default the 30 days to today), at most MAX_DAYS days, and `station` (a station code;
none: the whole chain). A station manager always sees their own station: asking for
another one reads as not found (its figures are not that station's business)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from extensions import db
from loyalty.errors import LoyaltyError, NotFound
from loyalty.people.staff_scope import is_hq, require_console
from loyalty.reminders.sql import business_day
from models import Staff, Station
from models.rollup import CHAIN

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
STATION_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")


class BadFilter(LoyaltyError):
    """A filter that cannot be read; `code` says which rule it broke (the JSON's error code)."""

    def __init__(self, code: str, message: str, field: str):
        super().__init__(message, field=field)
        self.code = code


@dataclass(frozen=True)
class Filter:
    first: date
    last: date
    station_id: int  # CHAIN (0): every station
    station_code: str | None

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _date(raw: str | None, field: str, default: date, today: date) -> date:
    if raw is None or raw.strip() == "":
        return default
    raw = raw.strip()
    try:
        if not DATE.fullmatch(raw):
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadFilter("bad_date", "日期格式应为 YYYY-MM-DD", field) from None
    if not EARLIEST <= value <= today + timedelta(days=1):
        raise BadFilter("bad_date", f"日期须在 {EARLIEST} 与明天之间", field)
    return value


def _station(staff: Staff, code: str | None) -> tuple[int, str | None]:
    code = (code or "").strip() or None
    if not is_hq(staff):  # a manager: their own station, whatever they ask
        own = db.session.get(Station, staff.station_id)
        if own is None or (code is not None and code != own.code):
            raise NotFound("未找到该油站", field="station")
        return own.id, own.code
    if code is None:
        return CHAIN, None
    station_id = db.session.scalars(select(Station.id).where(Station.code == code)).first() \
        if STATION_CODE.fullmatch(code) else None
    if station_id is None:
        raise BadFilter("unknown_station", "没有这个油站", "station")
    return station_id, code


def read(staff: Staff, args, now: datetime) -> Filter:
    """The filters of a request's query `args` for this staff; BadFilter or NotFound."""
    require_console(staff)
    today = business_day(now)
    last = _date(args.get("to"), "to", today, today)
    first = _date(args.get("from"), "from", last - timedelta(days=DEFAULT_DAYS - 1), today)
    if first > last:
        raise BadFilter("bad_range", "开始日期不能晚于结束日期", "from")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadFilter("range_too_long", f"日期范围最长 {MAX_DAYS} 天", "from")
    station_id, code = _station(staff, args.get("station"))
    return Filter(first, last, station_id, code)
