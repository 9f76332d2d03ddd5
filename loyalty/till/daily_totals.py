"""A member's running figures per business day (models.DailyTotal): what their own sales
added, less what refunds took back. The tier metric (loyalty.benefits.tiers) sums the days
of its window and the daily points cap reads today's row, instead of summing sales.

A sale adds its litres, its payable amount, one visit and its points to its business day
(Asia/Shanghai) in the sale's own transaction; a refund takes back, from the sale's day:
the litres in proportion to the money refunded (floored on the running total, per sale,
so partial refunds add up to one full refund), the amount, the visit once the sale is
fully refunded (a sale paid wholly by coupons keeps its litres and its visit) and the
points it clawed back. `flask loyalty check` compares the rows with the sales.
Flushes, never commits.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from loyalty.policy import BUSINESS_TZ
from models import DailyTotal, Sale

METRIC_COLUMNS = {"litres": DailyTotal.litres_ml, "amount": DailyTotal.amount_fen, "visits": DailyTotal.visits}


class Figures(NamedTuple):
    litres_ml: int = 0
    amount_fen: int = 0
    visits: int = 0
    points: int = 0


def business_day(at: datetime) -> date:
    """The business day (Asia/Shanghai) of an aware timestamp."""
    return at.astimezone(BUSINESS_TZ).date()


def kept_litres(litres_ml: int, payable_fen: int, refunded_fen: int) -> int:
    """The litres a sale still counts for: in proportion to the money not refunded, floored;
    all of them for a sale paid wholly by coupons (it cannot be refunded)."""
    return litres_ml * (payable_fen - refunded_fen) // payable_fen if payable_fen > 0 else litres_ml


def of_sale(litres_ml: int, payable_fen: int, points: int) -> Figures:
    """What a new sale adds to its day."""
    return Figures(litres_ml, payable_fen, 1, points)


def of_refund(sale: Sale, amount_fen: int, points_reversed: int) -> Figures:
    """What a refund of `amount_fen` takes from its sale's day (negative figures), given the
    sale's refunded_fen before this refund."""
    before, after = sale.refunded_fen, sale.refunded_fen + amount_fen
    litres = kept_litres(sale.litres_ml, sale.payable_fen, after) - kept_litres(sale.litres_ml, sale.payable_fen,
                                                                                 before)
    fully = sale.payable_fen > 0 and before < sale.payable_fen <= after
    return Figures(litres, -amount_fen, -1 if fully else 0, -points_reversed)


def add_statement(member_id: int, day: date, figures: Figures):
    """The INSERT ... ON CONFLICT DO UPDATE adding `figures` to the member's day: run it, or
    (PostgreSQL) make it part of a larger statement (loyalty.till.sales writes a sale in one)."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DailyTotal)
    stmt = insert.values(member_id=member_id, day=day, **figures._asdict())
    return stmt.on_conflict_do_update(
        index_elements=[DailyTotal.member_id, DailyTotal.day],
        set_={name: getattr(DailyTotal, name) + getattr(stmt.excluded, name) for name in Figures._fields})


@lru_cache(maxsize=4)
def _add_statement_bound(dialect: str, prefix: str):
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DailyTotal.__table__)
    columns = DailyTotal.__table__.c
    stmt = insert.values({name: bindparam(f"{prefix}{name}", type_=columns[name].type)
                          for name in ("member_id", "day", *Figures._fields)})
    return stmt.on_conflict_do_update(
        index_elements=[columns.member_id, columns.day],
        set_={name: columns[name] + getattr(stmt.excluded, name) for name in Figures._fields})


def add_statement_bound(prefix: str):
    """add_statement with its values as bound parameters `<prefix>member_id`, `<prefix>day`,
    `<prefix>litres_ml`, ...: built once, for a statement that is executed again and again."""
    return _add_statement_bound(db.session.get_bind().dialect.name, prefix)


def add(member_id: int, day: date, figures: Figures) -> None:
    """Add `figures` to the member's day (one statement)."""
    if any(figures):
        db.session.execute(add_statement_bound("t_"), {"t_member_id": member_id, "t_day": day,
                                                       **{f"t_{k}": v for k, v in figures._asdict().items()}})


def day_points(member_id: int, day: date):
    """Scalar subquery: the points the member's own sales of `day` earned, net of refunds."""
    return (select(func.coalesce(func.sum(DailyTotal.points), 0))
            .where(DailyTotal.member_id == member_id, DailyTotal.day == day).scalar_subquery())


def in_window(today: date, window_days: int | None = None, *, since=None):
    """The days of a rolling window of `window_days` business days ending with `today`
    (after `since`, today - window_days, when given instead)."""
    since = today - timedelta(days=window_days) if since is None else since
    return (DailyTotal.day > since) & (DailyTotal.day <= today)


def window_total(member_id: int, metric: str, today: date, window_days: int | None = None, *, since=None):
    """Scalar subquery: the member's metric ("litres", "amount", "visits") over the window."""
    return (select(func.coalesce(func.sum(METRIC_COLUMNS[metric]), 0))
            .where(DailyTotal.member_id == member_id, in_window(today, window_days, since=since)).scalar_subquery())


# The daily totals from the sales and refunds themselves (what migration 0015 backfilled
# and `flask loyalty check` compares): for rows written in bulk, without the sale path.
_REBUILD = """
INSERT INTO member_daily_totals (member_id, day, litres_ml, amount_fen, visits, points)
SELECT s.member_id, {day},
       SUM(CASE WHEN s.payable_fen > 0 THEN s.litres_ml * (s.payable_fen - s.refunded_fen) / s.payable_fen
                ELSE s.litres_ml END),
       SUM(s.payable_fen - s.refunded_fen),
       SUM(CASE WHEN s.payable_fen > 0 AND s.refunded_fen >= s.payable_fen THEN 0 ELSE 1 END),
       SUM(s.points_earned - COALESCE(r.reversed, 0))
FROM sales s
LEFT JOIN (SELECT sale_id, SUM(points_reversed) AS reversed FROM sale_refunds GROUP BY sale_id) r
  ON r.sale_id = s.id
WHERE s.member_id IS NOT NULL
GROUP BY s.member_id, {day}
"""
_DAY = {"postgresql": "CAST(timezone('Asia/Shanghai', s.created_at) AS DATE)",
        "sqlite": "date(s.created_at, '+8 hours')"}


def rebuild() -> None:
    """Recompute every member's daily totals from the sales and refunds (two set-based
    statements, flushed): after sales written in bulk (the demo's history), never needed
    after the sale path, which keeps them itself."""
    db.session.flush()
    db.session.execute(text("DELETE FROM member_daily_totals"))
    db.session.execute(text(_REBUILD.format(day=_DAY[db.session.get_bind().dialect.name])))
