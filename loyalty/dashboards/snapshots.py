"""The snapshots of one business day, taken by the rollup job as it finds the books: members
per tier, points and stored value owed, and the points due to expire in each coming month.
Each is deleted and written again for its day in one set-based statement; the whole chain
(station 0) beside each station, whose members are those with a sale there
(rollup_station_members); a family pool counts for its owner's stations. Flushes only."""
from __future__ import annotations

from datetime import date, datetime

from loyalty.dashboards import sql
from loyalty.reminders.sql import run

# The member an account belongs to: its own, or for a family pool the family's owner.
OWNER = "COALESCE(a.member_id, f.owner_id)"


def tier_counts(day: date) -> None:
    run("DELETE FROM rollup_tier_counts WHERE day = :day", day=day)
    run("""
        INSERT INTO rollup_tier_counts (day, station_id, tier_id, members)
        SELECT :day, 0, m.tier_id, COUNT(*) FROM members m
        WHERE m.deleted_at IS NULL AND m.tier_id IS NOT NULL GROUP BY m.tier_id
        UNION ALL
        SELECT :day, sm.station_id, m.tier_id, COUNT(*)
        FROM rollup_station_members sm JOIN members m ON m.id = sm.member_id
        WHERE m.deleted_at IS NULL AND m.tier_id IS NOT NULL GROUP BY sm.station_id, m.tier_id""", day=day)


def liabilities(day: date) -> None:
    run("DELETE FROM rollup_liabilities WHERE day = :day", day=day)
    sums = """COALESCE(SUM(CASE WHEN a.kind = 'points' THEN a.balance ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN a.kind = 'stored_value' THEN a.balance - a.bonus_balance ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN a.kind = 'stored_value' THEN a.bonus_balance ELSE 0 END), 0)"""
    run(f"""
        INSERT INTO rollup_liabilities (day, station_id, points, principal_fen, bonus_fen)
        SELECT :day, 0, {sums} FROM accounts a
        UNION ALL
        SELECT :day, sm.station_id, {sums}
        FROM accounts a LEFT JOIN families f ON f.id = a.family_id
        JOIN rollup_station_members sm ON sm.member_id = {OWNER}
        GROUP BY sm.station_id""", day=day)


def points_expiry(day: date, now: datetime) -> None:
    """The points left in lots still to expire after `now`, by the month they lapse in."""
    run("DELETE FROM rollup_points_expiry WHERE day = :day", day=day)
    month = sql.month_of_last_moment("l.expires_at")
    run(f"""
        INSERT INTO rollup_points_expiry (day, station_id, month, points)
        SELECT :day, 0, {month}, SUM(l.remaining) FROM point_lots l
        WHERE l.remaining > 0 AND l.expires_at > :now GROUP BY {month}
        UNION ALL
        SELECT :day, sm.station_id, {month}, SUM(l.remaining)
        FROM point_lots l JOIN accounts a ON a.id = l.account_id LEFT JOIN families f ON f.id = a.family_id
        JOIN rollup_station_members sm ON sm.member_id = {OWNER}
        WHERE l.remaining > 0 AND l.expires_at > :now GROUP BY sm.station_id, {month}""", day=day, now=now)


def take(day: date, now: datetime) -> None:
    tier_counts(day)
    liabilities(day)
    points_expiry(day, now)
