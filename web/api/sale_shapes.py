"""Request and response shapes of quotes, sales and refunds (see web/api/schema.py), and
the functions that turn a parsed request into loyalty lines and a sale into JSON."""
from __future__ import annotations

import json

from loyalty.books.ledger import as_utc
from loyalty.till.pricing import FuelLine, ShopLine
from loyalty.till.sale_request import PayWith
from models import Sale
from web.api.members import MEMBER_CODE, MEMBER_OR_NULL
from web.api.schema import Arr, Bool, Enum, Int, Litres, Obj, Str, Tagged

MAX_FEN = 10 ** 9  # 1000 万元: far above any real sale, far below any integer limit
FUEL_LINE = Obj("FuelLine", {
    "kind": Enum("fuel"),
    "grade": Str(max_len=8, pattern=r"[0-9A-Za-z]+", description="油号：92、95、98、0（柴油）", example="92"),
    "litres": Litres(description="升数，字符串形式的小数（最多 3 位小数）"),
    "unit_price_fen": Int(minimum=1, maximum=100000, example=765,
                          description="单价（分/升），须与本站价目表一致（unit_price_mismatch），除非 price_override"),
    "amount_fen": Int(minimum=1, maximum=MAX_FEN,
                      description="油机金额（分），可选；给出时即为该行原价，须等于 升数 × 单价（四舍五入到分），"
                                  "误差不超过 5 毫升油的价钱（至少 1 分），否则 line_amount_mismatch"),
    "price_override": Bool(description="true：单价有意不同于本站价目表（油机已调价、协议价）；默认 false"),
}, optional=("amount_fen", "price_override"))
SHOP_LINE = Obj("ShopLine", {
    "kind": Enum("shop"),
    "category": Str(max_len=32, description="便利店品类：drinks、snacks、car_care、car_wash …", example="drinks"),
    "sku": Str(max_len=64, description="商品编码，可选"),
    "amount_fen": Int(minimum=1, maximum=MAX_FEN, description="金额（分）", example=500),
}, optional=("sku",))
LINE = Tagged("SaleLine", {"fuel": FUEL_LINE, "shop": SHOP_LINE})

_SALE_FIELDS = {
    "member_code": MEMBER_CODE,
    "station_nozzle": Str(max_len=8, pattern=r"[0-9A-Za-z]+",
                          description="油枪号；没有会员码时，本单记到扫码关联该油枪的会员", example="3"),
    "lines": Arr(LINE, min_items=1, max_items=50),
    "coupon_ids": Arr(Int(minimum=1, maximum=2 ** 53), max_items=10, description="要使用的优惠券，按顺序"),
    "pay_with": Enum(*PayWith, description="balance：储值支付；external（默认）：现金、微信、银行卡等"),
}
_OPTIONAL = ("member_code", "station_nozzle", "coupon_ids", "pay_with")
QUOTE = Obj("QuoteRequest", _SALE_FIELDS, optional=_OPTIONAL)
SALE = Obj("SaleRequest", {"pos_txn_no": Str(max_len=64, description="POS 流水号，本站唯一；重试用同一个",
                                             example="T20261118-0001"), **_SALE_FIELDS}, optional=_OPTIONAL)
REFUND = Obj("RefundRequest", {
    "refund_no": Str(max_len=64, description="退款单号，同一笔交易内唯一；重试用同一个", example="R1"),
    "amount_fen": Int(minimum=1, maximum=MAX_FEN, description="退款金额（分）；不填则退全部剩余金额"),
}, optional=("amount_fen",))

DISCOUNT = Obj("Discount", {"label": Str(max_len=64), "amount_fen": Int(minimum=0)})
POINTS_LINE = Obj("PointsLine", {"label": Str(max_len=64), "points": Int()})
QUOTE_REPLY = Obj("QuoteReply", {
    "quote": Obj("Quote", {
        "gross_fen": Int(minimum=0), "discounts": Arr(DISCOUNT, max_items=100), "payable_fen": Int(minimum=0),
        "points": Obj("Points", {"total": Int(minimum=0), "breakdown": Arr(POINTS_LINE, max_items=100)}),
    }),
    "member": MEMBER_OR_NULL,
})
SALE_BODY = Obj("Sale", {
    "id": Int(minimum=1), "pos_txn_no": Str(max_len=64), "station_code": Str(max_len=16),
    "station_nozzle": Str(max_len=16, nullable=True),
    "gross_fen": Int(minimum=0), "discounts": Arr(DISCOUNT, max_items=100), "payable_fen": Int(minimum=0),
    "pay_with": Enum(*PayWith), "paid_from_balance_fen": Int(minimum=0),
    "points_earned": Int(minimum=0), "points_breakdown": Arr(POINTS_LINE, max_items=100),
    "refunded_fen": Int(minimum=0),
    "balance_fen": Int(minimum=0, nullable=True, description="会员当前储值余额（分）；无会员时为 null"),
    "member": MEMBER_OR_NULL,
    "created_at": Str(max_len=40, description="UTC, ISO 8601"),
})
SALE_REPLY = Obj("SaleReply", {"sale": SALE_BODY})
REFUND_REPLY = Obj("RefundReply", {
    "refund": Obj("Refund", {
        "id": Int(minimum=1), "sale_id": Int(minimum=1), "refund_no": Str(max_len=64),
        "amount_fen": Int(minimum=0, description="退款金额（分）；全部由优惠券支付（应付 0）的交易退款为 0"),
        "points_reversed": Int(minimum=0), "balance_returned_fen": Int(minimum=0),
    }),
    "sale": SALE_BODY,
})


def lines_of(parsed: list[dict]) -> list[FuelLine | ShopLine]:
    """Loyalty's lines from the parsed request lines (litres already in millilitres)."""
    return [FuelLine(grade=line["grade"], litres_ml=line["litres"], unit_price_fen=line["unit_price_fen"],
                     amount_fen=line["amount_fen"], price_override=bool(line["price_override"]))
            if line["kind"] == "fuel"
            else ShopLine(category=line["category"], amount_fen=line["amount_fen"], sku=line["sku"])
            for line in parsed]


def iso(value) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def sale_json(sale: Sale, station_code: str, member: dict | None) -> dict:
    """The sale as the API returns it; `member` is loyalty.till.checkout.summary of its member."""
    return {
        "id": sale.id, "pos_txn_no": sale.pos_txn_no, "station_code": station_code,
        "station_nozzle": sale.nozzle, "gross_fen": sale.gross_fen,
        "discounts": [{"label": d.label, "amount_fen": d.amount_fen} for d in sale.discounts],
        "payable_fen": sale.payable_fen, "pay_with": sale.pay_with,
        "paid_from_balance_fen": sale.paid_from_balance_fen, "points_earned": sale.points_earned,
        "points_breakdown": [{"label": label, "points": n} for label, n in json.loads(sale.points_breakdown or "[]")],
        "refunded_fen": sale.refunded_fen,
        "balance_fen": member["balance_fen"] if member else None, "member": member,
        "created_at": iso(sale.created_at),
    }
