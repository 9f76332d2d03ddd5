"""Quotes and sales as the page shows them: every amount in fen and as a yuan string,
so the page's JavaScript never does arithmetic on money."""
from __future__ import annotations

import json

from sqlalchemy import select

from extensions import db
from loyalty.books.ledger import as_utc
from loyalty.policy import BUSINESS_TZ
from loyalty.till.pricing import fen_to_yuan
from models import FuelGrade, Member, Sale, SaleRefund, ShopCategory, Station
from web.cashier.money import ml_to_litres


def money(fen: int) -> dict:
    return {"fen": fen, "yuan": fen_to_yuan(fen)}


def _names() -> tuple[dict, dict]:
    grades = dict(db.session.execute(select(FuelGrade.code, FuelGrade.name)).all())
    categories = dict(db.session.execute(select(ShopCategory.code, ShopCategory.name)).all())
    return grades, categories


def line_label(kind: str, grade, litres_ml: int, unit_price_fen, category, sku, names) -> str:
    grades, categories = names
    if kind == "fuel":
        price = f" × {fen_to_yuan(unit_price_fen)}元/升" if unit_price_fen else ""
        return f"{grades.get(grade, grade)} {ml_to_litres(litres_ml)}升{price}"
    return categories.get(category, category) + (f"（{sku}）" if sku else "")


def quote_json(priced) -> dict:
    """The quote before confirming: lines, each discount with its label, payable, points."""
    names, q = _names(), priced.quote
    return {
        "lines": [{"label": line_label(ql.line.kind, ql.line.grade, ql.line.litres_ml,
                                       getattr(ql.line, "unit_price_fen", None), ql.line.category, ql.line.sku,
                                       names),
                   "gross": money(ql.gross_fen), "paid": money(ql.paid_fen)} for ql in q.lines],
        "gross": money(q.gross_fen),
        "discounts": [{"label": d.label, "amount": money(d.amount_fen)} for d in q.discounts],
        "discount": money(q.discount_fen),
        "payable": money(q.payable_fen),
        "litres": ml_to_litres(q.litres_ml) if q.litres_ml else None,
        "points": {"total": priced.points.total,
                   "lines": [{"label": label, "points": n} for label, n in priced.points.lines]},
    }


def sale_json(sale: Sale) -> dict:
    """A committed sale as the receipt shows it, with its refunds so far."""
    names = _names()
    station = db.session.get(Station, sale.station_id)
    member = db.session.get(Member, sale.member_id) if sale.member_id else None
    refunds = db.session.scalars(select(SaleRefund).where(SaleRefund.sale_id == sale.id)
                                 .order_by(SaleRefund.id)).all()
    return {
        "id": sale.id, "pos_txn_no": sale.pos_txn_no, "nozzle": sale.nozzle,
        "station": {"code": station.code, "name": station.name},
        "at": as_utc(sale.created_at).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "member": {"id": member.id, "phone": member.phone_masked} if member else None,
        "lines": [{"label": line_label(x.kind, x.grade_code, x.litres_ml, x.unit_price_fen, x.category, x.sku,
                                       names), "amount": money(x.amount_fen)} for x in sale.lines],
        "gross": money(sale.gross_fen),
        "discounts": [{"label": d.label, "amount": money(d.amount_fen)} for d in sale.discounts],
        "payable": money(sale.payable_fen),
        "pay_with": sale.pay_with,
        "paid_from_balance": money(sale.paid_from_balance_fen),
        "points_earned": sale.points_earned,
        "points_lines": [{"label": label, "points": n} for label, n in json.loads(sale.points_breakdown or "[]")],
        "refunded": money(sale.refunded_fen),
        "refundable": money(sale.payable_fen - sale.refunded_fen),
        "refunds": [{"refund_no": r.refund_no, "amount": money(r.amount_fen), "points_reversed": r.points_reversed,
                     "balance_returned": money(r.balance_returned_fen)} for r in refunds],
    }
