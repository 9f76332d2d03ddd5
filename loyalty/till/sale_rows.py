"""A sale's rows — the sale, its lines and discounts, the member's daily totals — written
to the database. On PostgreSQL in one statement (data-modifying CTEs: the children
select the new sale's id), built once per shape and bound at each call; elsewhere
through the ORM. Either way the unique (station, pos_txn_no) index speaks here, and the
sale comes back as a persistent object. loyalty.till.sales decides what the rows hold."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, insert, select, union_all
from sqlalchemy.orm import make_transient_to_detached

from extensions import db
from loyalty.till import daily_totals
from models import Member, Sale, SaleDiscount, SaleLine


def write(fields: dict, lines: list[dict], discounts: list[dict], member: Member | None, day,
           added: daily_totals.Figures | None) -> Sale:
    """Write the sale (`fields`: Sale's columns), its `lines` and `discounts` (their
    columns but sale_id) and, for a member, `added` to their totals of `day`."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _insert_in_one(fields, lines, discounts, member, day, added)
    sale = Sale(**fields)
    db.session.add(sale)
    db.session.flush()  # the unique (station, pos_txn_no) index speaks here
    db.session.add_all(SaleLine(sale_id=sale.id, **line) for line in lines)
    db.session.add_all(SaleDiscount(sale_id=sale.id, **d) for d in discounts)
    if member is not None:
        daily_totals.add(member.id, day, added)
    db.session.flush()
    return sale


def _insert_in_one(fields: dict, lines: list[dict], discounts: list[dict], member: Member | None, day,
                   added) -> Sale:
    """PostgreSQL: the sale, its lines and discounts and the member's daily totals in one
    statement (data-modifying CTEs: the children select the new sale's id). The unique
    (station, pos_txn_no) index speaks here."""
    daily = member is not None and any(added)
    params = {f"s_{k}": v for k, v in fields.items()}
    for prefix, rows in (("l", lines), ("d", discounts)):
        for i, row in enumerate(rows):
            params.update({f"{prefix}{i}_{k}": v for k, v in row.items()})
    if daily:
        params.update(t_member_id=member.id, t_day=day, **{f"t_{k}": v for k, v in added._asdict().items()})
    statement = _sale_statement(len(lines), len(discounts), daily)
    sale = Sale(id=db.session.connection().execute(statement, params).scalar_one(), **fields)
    make_transient_to_detached(sale)
    db.session.add(sale)  # persistent, as if loaded; its lines and discounts load when asked for
    return sale


_SALE_FIELDS = ("station_id", "pos_txn_no", "request_hash", "member_id", "nozzle", "gross_fen", "discount_fen",
                "payable_fen", "pay_with", "paid_from_balance_fen", "litres_ml", "points_earned", "points_breakdown",
                "refunded_fen", "created_at")
_LINE_FIELDS = ("kind", "grade_code", "litres_ml", "unit_price_fen", "category", "sku", "amount_fen")
_DISCOUNT_FIELDS = ("label", "amount_fen", "coupon_id")


@lru_cache(maxsize=64)
def _sale_statement(lines: int, discounts: int, daily: bool):
    """The one-statement sale insert for this shape, built once: its values are bound at
    each call (typed, so a NULL is never taken for text), and SQLAlchemy compiles it once."""
    def bound(table, prefix: str, names):
        return [bindparam(f"{prefix}{n}", type_=table.c[n].type) for n in names]

    sales = Sale.__table__  # Core tables: the ORM's insert machinery costs more than it gives here
    new_sale = (insert(sales).values(dict(zip(_SALE_FIELDS, bound(sales, "s_", _SALE_FIELDS))))
                .returning(sales.c.id).cte("new_sale"))
    query = select(new_sale.c.id)
    for model, count, prefix, names in ((SaleLine, lines, "l", _LINE_FIELDS),
                                        (SaleDiscount, discounts, "d", _DISCOUNT_FIELDS)):
        if count:
            rows = [select(new_sale.c.id, *bound(model.__table__, f"{prefix}{i}_", names)) for i in range(count)]
            query = query.add_cte(insert(model.__table__).from_select(
                ["sale_id", *names], union_all(*rows) if count > 1 else rows[0]).cte(f"new_{model.__tablename__}"))
    if daily:
        query = query.add_cte(daily_totals.add_statement_bound("t_").cte("day_totals"))
    return query


