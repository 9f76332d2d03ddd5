"""Quotes, sales and refunds at the calling station."""
from __future__ import annotations

from flask import g, jsonify

from extensions import db
from loyalty.till import checkout, refunds
from loyalty.errors import NotFound
from models import Member, Sale
from loyalty.till.sale_request import PayWith
from web import clock
from web.api.openapi import operation
from web.api.sale_shapes import (QUOTE, QUOTE_REPLY, REFUND, REFUND_REPLY, SALE, SALE_REPLY, lines_of,
                                 sale_json)

CODE_ERRORS = ("code_expired", "code_used", "code_invalid")
SALE_ERRORS = CODE_ERRORS + ("insufficient_balance", "coupon_not_applicable", "not_found",
                             "line_amount_mismatch", "unit_price_mismatch")


def _order(body: dict) -> dict:
    return {"member_code": body["member_code"], "nozzle": body["station_nozzle"],
            "coupon_ids": body["coupon_ids"] or [], "pay_with": body["pay_with"] or PayWith.EXTERNAL,
            "now": clock.now()}


def _summary(member: Member | None) -> dict | None:
    return checkout.summary(member, g.station_code) if member is not None else None


def _own_sale(sale_id: int) -> Sale:
    # Another station's sale is "not found": a station sees only its own.
    sale = db.session.get(Sale, sale_id) if sale_id < 2 ** 62 else None
    if sale is None or sale.station_id != g.station_id:
        raise NotFound("交易不存在", field="sale_id")
    return sale


def _sale_reply(sale: Sale) -> dict:
    member = db.session.get(Member, sale.member_id) if sale.member_id else None
    return sale_json(sale, g.station_code, _summary(member))


@operation("POST", "/sales/quote", summary="试算：折扣、应付金额与积分（不写入任何数据，不消耗会员码）",
           body=QUOTE, response=QUOTE_REPLY, errors=SALE_ERRORS)
def quote_sale(body):
    priced, member = checkout.quote(g.station, lines_of(body["lines"]), **_order(body))
    q = priced.quote
    return jsonify(quote={
        "gross_fen": q.gross_fen, "payable_fen": q.payable_fen,
        "discounts": [{"label": d.label, "amount_fen": d.amount_fen} for d in q.discounts],
        "points": {"total": priced.points.total,
                   "breakdown": [{"label": label, "points": n} for label, n in priced.points.lines]},
    }, member=_summary(member))


@operation("POST", "/sales", status=201, summary="提交交易（按 pos_txn_no 幂等；会员码在此被消耗）",
           body=SALE, response=SALE_REPLY, errors=SALE_ERRORS + ("duplicate_conflict",))
def commit_sale(body):
    sold = checkout.sell(g.station, body["pos_txn_no"], lines_of(body["lines"]), **_order(body))
    return jsonify(sale=sale_json(sold.sale, g.station_code, _summary(sold.member))), 201 if sold.created else 200


@operation("GET", "/sales/<int:sale_id>", summary="查询本站的一笔交易", response=SALE_REPLY, errors=("not_found",))
def get_sale(sale_id: int):
    return jsonify(sale=_sale_reply(_own_sale(sale_id)))


@operation("POST", "/sales/<int:sale_id>/refund", status=201, body=REFUND, response=REFUND_REPLY,
           summary="退款（给出 amount_fen 为部分退款；按 refund_no 幂等）", errors=("not_found", "duplicate_conflict"))
def refund_sale(sale_id: int, body):
    sale = _own_sale(sale_id)
    refund, created = refunds.refund(sale.id, body["refund_no"], body["amount_fen"], now=clock.now())
    sale = db.session.get(Sale, refund.sale_id)
    return jsonify(refund={
        "id": refund.id, "sale_id": refund.sale_id, "refund_no": refund.refund_no, "amount_fen": refund.amount_fen,
        "points_reversed": refund.points_reversed, "balance_returned_fen": refund.balance_returned_fen,
    }, sale=_sale_reply(sale)), 201 if created else 200
