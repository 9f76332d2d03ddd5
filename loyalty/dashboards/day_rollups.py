"""The day rollups of one range of business days, each deleted and written again from the
sales, coupons and delivery log in one set-based statement (so a rerun writes the same
rows): sales per hour, fuel per grade, who fuels at each station, members per week,
coupons and pushes per day. Flushes, never commits (loyalty.dashboards.rollup does).

A refund belongs to its sale's day (as member_daily_totals): it takes back the sale's
paid amount, and its litres in proportion to the money refunded (floored); a fully
refunded sale is no visit; a sale paid wholly by coupons keeps its litres.
"""
from __future__ import annotations

from datetime import date, timedelta

from loyalty.dashboards import sql
from loyalty.reminders.sql import day_start, run

KEPT = "(s.payable_fen - s.refunded_fen)"


def sales_hours(first: date, last: date) -> None:
    run("DELETE FROM rollup_sales_hours WHERE day >= :first AND day <= :last", first=first, last=last)
    run(f"""
        INSERT INTO rollup_sales_hours (day, station_id, hour, member, weekday, sales, visits, litres_ml, paid_fen)
        SELECT d, station_id, h, member, {sql.weekday('d')}, COUNT(*), SUM(visit), SUM(litres), SUM(paid)
        FROM (SELECT {sql.day('s.created_at')} AS d, {sql.hour('s.created_at')} AS h, s.station_id,
                     s.member_id IS NOT NULL AS member,
                     CASE WHEN s.payable_fen > 0 AND s.refunded_fen >= s.payable_fen THEN 0 ELSE 1 END AS visit,
                     CASE WHEN s.payable_fen > 0 THEN s.litres_ml * {KEPT} / s.payable_fen
                          ELSE s.litres_ml END AS litres,
                     {KEPT} AS paid
              FROM sales s WHERE s.created_at >= :lo AND s.created_at < :hi) t
        GROUP BY d, station_id, h, member""", lo=day_start(first), hi=day_start(last + timedelta(days=1)))


def grade_days(first: date, last: date) -> None:
    run("DELETE FROM rollup_grade_days WHERE day >= :first AND day <= :last", first=first, last=last)
    run(f"""
        INSERT INTO rollup_grade_days (day, station_id, grade_code, lines, litres_ml, amount_fen)
        SELECT {sql.day('s.created_at')}, s.station_id, COALESCE(l.grade_code, ''), COUNT(*),
               SUM(CASE WHEN s.payable_fen > 0 THEN l.litres_ml * {KEPT} / s.payable_fen ELSE l.litres_ml END),
               SUM(CASE WHEN s.gross_fen > 0 THEN l.amount_fen * {KEPT} / s.gross_fen ELSE 0 END)
        FROM sales s JOIN sale_lines l ON l.sale_id = s.id
        WHERE l.kind = 'fuel' AND s.created_at >= :lo AND s.created_at < :hi
        GROUP BY {sql.day('s.created_at')}, s.station_id, COALESCE(l.grade_code, '')""",
        lo=day_start(first), hi=day_start(last + timedelta(days=1)))


def station_members(first: date, last: date) -> None:
    """Who fuels where: the first and last day of each member's sales at each station,
    widened by the sales of the range (never narrowed: sales are never deleted); a row
    the range does not widen is not written again."""
    run(f"""
        INSERT INTO rollup_station_members (station_id, member_id, first_day, last_day)
        SELECT s.station_id, s.member_id, {sql.day('MIN(s.created_at)')}, {sql.day('MAX(s.created_at)')}
        FROM sales s
        WHERE s.member_id IS NOT NULL AND s.created_at >= :lo AND s.created_at < :hi
        GROUP BY s.station_id, s.member_id
        ON CONFLICT (station_id, member_id) DO UPDATE
        SET first_day = {sql.lesser('rollup_station_members.first_day', 'excluded.first_day')},
            last_day = {sql.greater('rollup_station_members.last_day', 'excluded.last_day')}
        WHERE excluded.first_day < rollup_station_members.first_day
           OR excluded.last_day > rollup_station_members.last_day""",
        lo=day_start(first), hi=day_start(last + timedelta(days=1)))


def member_weeks(first: date, last: date) -> None:
    """The whole weeks (Monday to Sunday) the range touches. Needs station_members first."""
    first, last = sql.monday(first), sql.monday(last) + timedelta(days=6)
    lo, hi = day_start(first), day_start(last + timedelta(days=1))
    run("DELETE FROM rollup_member_weeks WHERE week >= :first AND week <= :last", first=first, last=last)
    week_of_sale = sql.week(sql.day("s.created_at"))
    run(f"""
        WITH visits AS (SELECT DISTINCT {week_of_sale} AS week, s.station_id, s.member_id FROM sales s
                        WHERE s.member_id IS NOT NULL AND s.created_at >= :lo AND s.created_at < :hi)
        INSERT INTO rollup_member_weeks (week, station_id, new_members, active_members)
        SELECT week, station_id, SUM(joined), SUM(active) FROM (
            SELECT {sql.week(sql.day('m.created_at'))} AS week, 0 AS station_id, COUNT(*) AS joined, 0 AS active
            FROM members m WHERE m.created_at >= :lo AND m.created_at < :hi
            GROUP BY {sql.week(sql.day('m.created_at'))}
            UNION ALL
            SELECT {sql.week('sm.first_day')}, sm.station_id, COUNT(*), 0 FROM rollup_station_members sm
            WHERE sm.first_day >= :first AND sm.first_day <= :last
            GROUP BY {sql.week('sm.first_day')}, sm.station_id
            UNION ALL
            SELECT week, 0, 0, COUNT(DISTINCT member_id) FROM visits GROUP BY week
            UNION ALL
            SELECT week, station_id, 0, COUNT(*) FROM visits GROUP BY week, station_id
        ) t GROUP BY week, station_id""", lo=lo, hi=hi, first=first, last=last)


def coupon_days(first: date, last: date) -> None:
    """Issued (issued_at), used (used_at; a station: used there) and expired (valid_until,
    the first moment no longer valid, of the coupons now expired), per day; a station's
    row counts its members' coupons issued and expired."""
    run("DELETE FROM rollup_coupon_days WHERE day >= :first AND day <= :last", first=first, last=last)
    issued = f"SELECT {sql.day('c.issued_at')} AS day, c.member_id, 1 AS i, 0 AS u, 0 AS e FROM coupons c " \
             "WHERE c.issued_at >= :lo AND c.issued_at < :hi"
    expired = f"SELECT {sql.day('c.valid_until')}, c.member_id, 0, 0, 1 FROM coupons c " \
              "WHERE c.status = 'expired' AND c.valid_until >= :lo AND c.valid_until < :hi"
    used = f"""SELECT {sql.day('c.used_at')} AS day, s.station_id, 0 AS i, 1 AS u, 0 AS e
               FROM coupons c JOIN sales s ON s.id = c.used_sale_id
               WHERE c.status = 'used' AND c.used_at >= :lo AND c.used_at < :hi"""
    run(f"""
        WITH held AS ({issued} UNION ALL {expired}), spent AS ({used})
        INSERT INTO rollup_coupon_days (day, station_id, issued, used, expired)
        SELECT day, station_id, SUM(i), SUM(u), SUM(e) FROM (
            SELECT day, 0 AS station_id, i, u, e FROM held
            UNION ALL
            SELECT held.day, sm.station_id, held.i, held.u, held.e FROM held
            JOIN rollup_station_members sm ON sm.member_id = held.member_id
            UNION ALL
            SELECT day, 0, i, u, e FROM spent
            UNION ALL
            SELECT day, station_id, i, u, e FROM spent
        ) t GROUP BY day, station_id""", lo=day_start(first), hi=day_start(last + timedelta(days=1)))


def push_days(first: date, last: date) -> None:
    """The delivery log's attempts sent and failed, by channel and day (created_at)."""
    run("DELETE FROM rollup_push_days WHERE day >= :first AND day <= :last", first=first, last=last)
    attempts = f"""SELECT {sql.day('d.created_at')} AS day, d.member_id, COALESCE(d.channel, '') AS channel,
                          CASE WHEN d.outcome = 'sent' THEN 1 ELSE 0 END AS sent,
                          CASE WHEN d.outcome = 'failed' THEN 1 ELSE 0 END AS failed
                   FROM deliveries d
                   WHERE d.outcome IN ('sent', 'failed') AND d.created_at >= :lo AND d.created_at < :hi"""
    run(f"""
        WITH attempts AS ({attempts})
        INSERT INTO rollup_push_days (day, station_id, channel, sent, failed)
        SELECT day, station_id, channel, SUM(sent), SUM(failed) FROM (
            SELECT day, 0 AS station_id, channel, sent, failed FROM attempts
            UNION ALL
            SELECT a.day, sm.station_id, a.channel, a.sent, a.failed FROM attempts a
            JOIN rollup_station_members sm ON sm.member_id = a.member_id
        ) t GROUP BY day, station_id, channel""", lo=day_start(first), hi=day_start(last + timedelta(days=1)))


ALL = (sales_hours, grade_days, station_members, member_weeks, coupon_days, push_days)


def recompute(first: date, last: date) -> None:
    """Every day rollup of the days first..last (inclusive), in dependency order."""
    for rollup in ALL:
        rollup(first, last)
