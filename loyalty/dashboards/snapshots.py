"""The snapshots of one business day, taken by the rollup job as it finds the books: members
per tier, points and stored value owed, and the points due to expire in each coming month.
Each is deleted and written again for its day: one set-based SELECT reads the figures (a
plain SELECT, so PostgreSQL may scan in parallel, which it never does for INSERT ... SELECT),
and its few rows are inserted. The whole chain (station 0) beside each station, whose
members are those with a sale there (rollup_station_members); a family pool counts for
its owner's stations. Flushes only."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, bindparam, text

from extensions import db
from loyalty.dashboards import sql
from loyalty.reminders.sql import run

# The member an account belongs to: its own, or for a family pool the family's owner.
OWNER = "COALESCE(a.member_id, f.owner_id)"


def _write(table: str, columns: tuple[str, ...], select_sql: str, day: date, **params) -> None:
    """Delete `day`'s rows of `table`, then insert what `select_sql` (its columns after the
    day, in order) finds."""
    run(f"DELETE FROM {table} WHERE day = :day", day=day)
    stmt = text(select_sql)
    if "now" in params:
        stmt = stmt.bindparams(bindparam("now", type_=DateTime(timezone=True)))
    found = db.session.execute(stmt, params).all()
    if found:
        insert = text(f"INSERT INTO {table} (day, {', '.join(columns)}) "
                      f"VALUES (:day, {', '.join(':' + c for c in columns)})").bindparams(bindparam("day", type_=Date()))
        db.session.execute(insert, [{"day": day, **dict(zip(columns, row))} for row in found])


def tier_counts(day: date) -> None:
    _write("rollup_tier_counts", ("station_id", "tier_id", "members"), """
        SELECT 0, m.tier_id, COUNT(*) FROM members m
        WHERE m.deleted_at IS NULL AND m.tier_id IS NOT NULL GROUP BY m.tier_id
        UNION ALL
        SELECT sm.station_id, m.tier_id, COUNT(*)
        FROM rollup_station_members sm JOIN members m ON m.id = sm.member_id
        WHERE m.deleted_at IS NULL AND m.tier_id IS NOT NULL GROUP BY sm.station_id, m.tier_id""", day)


def liabilities(day: date) -> None:
    sums = """COALESCE(SUM(CASE WHEN a.kind = 'points' THEN a.balance ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN a.kind = 'stored_value' THEN a.balance - a.bonus_balance ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN a.kind = 'stored_value' THEN a.bonus_balance ELSE 0 END), 0)"""
    _write("rollup_liabilities", ("station_id", "points", "principal_fen", "bonus_fen"), f"""
        SELECT 0, {sums} FROM accounts a
        UNION ALL
        SELECT sm.station_id, {sums}
        FROM accounts a LEFT JOIN families f ON f.id = a.family_id
        JOIN rollup_station_members sm ON sm.member_id = {OWNER}
        GROUP BY sm.station_id""", day)


def points_expiry(day: date, now: datetime) -> None:
    """The points left in lots still to expire after `now`, by the month they lapse in."""
    month = sql.month_of_last_moment("l.expires_at")
    _write("rollup_points_expiry", ("station_id", "month", "points"), f"""
        SELECT 0, {month}, SUM(l.remaining) FROM point_lots l
        WHERE l.remaining > 0 AND l.expires_at > :now GROUP BY {month}
        UNION ALL
        SELECT sm.station_id, {month}, SUM(l.remaining)
        FROM point_lots l JOIN accounts a ON a.id = l.account_id LEFT JOIN families f ON f.id = a.family_id
        JOIN rollup_station_members sm ON sm.member_id = {OWNER}
        WHERE l.remaining > 0 AND l.expires_at > :now GROUP BY sm.station_id, {month}""", day, now=now)


def take(day: date, now: datetime) -> None:
    tier_counts(day)
    liabilities(day)
    points_expiry(day, now)
