"""SQL fragments the rollups need on PostgreSQL and on SQLite: the Shanghai day, hour,
week and month of a UTC timestamp (Shanghai keeps UTC+8 all year), the ISO weekday of a
date, and the two-value min and max of an upsert."""
from __future__ import annotations

from datetime import date, timedelta

from loyalty.reminders.sql import local_date, local_hour, postgres


def day(column: str) -> str:
    """The business day (Shanghai date) of a UTC timestamp column."""
    return local_date(column)


def hour(column: str) -> str:
    """The Shanghai hour (0-23) of a UTC timestamp column."""
    return local_hour(column)


def weekday(date_expr: str) -> str:
    """The ISO weekday (1 Monday .. 7 Sunday) of a date."""
    if postgres():
        return f"CAST(EXTRACT(ISODOW FROM {date_expr}) AS INTEGER)"
    return f"((CAST(strftime('%w', {date_expr}) AS INTEGER) + 6) % 7 + 1)"


def week(date_expr: str) -> str:
    """The Monday of a date's week."""
    if postgres():
        return f"CAST(date_trunc('week', {date_expr}) AS DATE)"
    return f"date({date_expr}, 'weekday 0', '-6 days')"


def month_of_last_moment(column: str) -> str:
    """The first day of the Shanghai month holding the last moment before a UTC instant
    (an exclusive end): points expiring at 00:00 on 1 January lapse in December."""
    if postgres():
        return f"CAST(date_trunc('month', ({column} AT TIME ZONE 'Asia/Shanghai') - interval '1 microsecond') AS DATE)"
    return f"date({column}, '+8 hours', '-0.001 seconds', 'start of month')"


def lesser(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if postgres() else f"MIN({a}, {b})"


def greater(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if postgres() else f"MAX({a}, {b})"


def monday(of: date) -> date:
    return of - timedelta(days=of.weekday())
