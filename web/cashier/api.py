"""JSON endpoints of the cashier page: /cashier/api/...

Each is the same shape: the logged-in staff (auth.api_login_required: session, CSRF
header, same origin), the station they may act at, the loyalty call, the result as JSON.
Errors are {"error": {"code", "message"}} with a Chinese message the page shows as is.
"""
from __future__ import annotations

import logging
import re

from flask import jsonify, request

from extensions import db
from loyalty.till import refunds, sales
from loyalty.errors import NotAllowed, NotFound, ValidationError
from loyalty.people.staff import can_use_station, station_of
from models import Sale, Station
from web import clock
from web.cashier import bp, checkout
from web.cashier.auth import api_login_required, current_staff
from web.cashier.lines import parse_lines
from web.cashier.members import balances, identify, normalise_nozzle, nozzle_member, summary
from web.cashier.money import yuan_to_fen
from web.cashier.receipts import money, quote_json, sale_json

log = logging.getLogger("youka.cashier")
_REF = re.compile(r"^[A-Za-z0-9_.:\-]{4,64}$")
# loyalty.till.topups.PAY_METHODS, as the cashier names them.
PAY_METHODS = {"cash": "现金", "wechat": "微信支付", "alipay": "支付宝", "unionpay": "云闪付", "card": "银行卡"}


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("请求内容须为 JSON 对象")
    return data


def station_for(code: str | None) -> Station:
    """The station of this request: the one asked for, else the staff's own; NotAllowed
    when the staff may not act there (cashiers and managers: their own station only)."""
    staff = current_staff()
    own = station_of(staff)
    if code is not None and not isinstance(code, str):  # any JSON type may come
        raise ValidationError("油站格式有误", field="station")
    code = (code or (own.code if own else "")).strip()
    if not code:
        raise ValidationError("请选择油站", field="station")
    if not can_use_station(staff, code):
        raise NotAllowed("无权操作该油站", field="station")
    return sales.station_by_code(code)


def reference(value, field: str, label: str) -> str:
    text = str(value or "")
    if not _REF.match(text):
        raise ValidationError(f"{label}格式有误", field=field)
    return text


def sale_at_my_station(sale_id: int) -> Sale:
    # The route takes any digits; an id past a bigint is no sale (PostgreSQL would raise).
    sale = db.session.get(Sale, sale_id) if 0 < sale_id < 2 ** 63 else None
    # Another station's sale reads as "not found": its existence is not this till's business.
    if sale is None or not can_use_station(current_staff(), db.session.get(Station, sale.station_id).code):
        raise NotFound("交易不存在", field="sale_id")
    return sale


@bp.post("/api/members/identify")
@api_login_required
def identify_member():
    data = body()
    station = station_for(data.get("station"))
    who = identify(data.get("member"), station.code, now=clock.now())
    if who is None:
        raise ValidationError("请扫描会员码或选择会员", field="member")
    return jsonify(member=summary(who.member, station.code, who.via, clock.now()))


@bp.get("/api/nozzles/<nozzle>/member")
@api_login_required
def nozzle(nozzle: str):
    station = station_for(request.args.get("station"))
    member = nozzle_member(station.code, nozzle)
    return jsonify(member=summary(member, station.code, "nozzle", clock.now()) if member else None)


def _sale_request(data: dict, *, look_up: bool = True):
    station = station_for(data.get("station"))
    who = identify(data.get("member"), station.code, look_up=look_up, now=clock.now())
    coupon_ids = data.get("coupon_ids") or []
    if not isinstance(coupon_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                   for i in coupon_ids):
        raise ValidationError("优惠券格式有误", field="coupon_ids")
    if coupon_ids and not (who and who.may_use_coupons):
        raise NotAllowed("使用优惠券须扫描会员码", field="coupon_ids")
    pay_with = data.get("pay_with") or "external"
    if not isinstance(pay_with, str) or pay_with not in ("balance", "external"):
        raise ValidationError("支付方式有误", field="pay_with")
    if pay_with == "balance" and not (who and who.may_pay_from_balance):
        raise NotAllowed("储值支付须扫描会员码", field="pay_with")
    nozzle_no = normalise_nozzle(data["nozzle"]) if data.get("nozzle") else (who.nozzle if who else None)
    return station, who, parse_lines(data.get("lines"), station), coupon_ids, pay_with, nozzle_no


@bp.post("/api/quote")
@api_login_required
def quote():
    station, who, lines, coupon_ids, pay_with, _ = _sale_request(body())
    priced = checkout.quote(station, lines, who, coupon_ids=coupon_ids, pay_with=pay_with, now=clock.now())
    found = quote_json(priced)
    found["pay_with"] = pay_with
    found["member"] = summary(who.member, station.code, who.via, clock.now()) if who else None
    return jsonify(quote=found)


@bp.post("/api/sales")
@api_login_required
def commit():
    data = body()
    station, who, lines, coupon_ids, pay_with, nozzle_no = _sale_request(data, look_up=False)
    pos_txn_no = reference(data.get("pos_txn_no"), "pos_txn_no", "POS 流水号")
    sale, created = checkout.commit_sale(station.code, pos_txn_no, lines, who, coupon_ids=coupon_ids,
                                         pay_with=pay_with, nozzle=nozzle_no, now=clock.now())
    log.info("sale %s committed at %s by %s (pos %s, created %s)", sale.id, station.code,
             current_staff().username, pos_txn_no, created)
    member = refunds.member_of(sale)
    return jsonify(sale=sale_json(sale), created=created,
                   member=balances(member) if member else None), (201 if created else 200)


@bp.get("/api/sales/<int:sale_id>")
@api_login_required
def receipt(sale_id: int):
    sale = sale_at_my_station(sale_id)
    member = refunds.member_of(sale)
    return jsonify(sale=sale_json(sale), member=balances(member) if member else None)


@bp.post("/api/sales/<int:sale_id>/refunds")
@api_login_required
def refund(sale_id: int):
    data = body()
    sale = sale_at_my_station(sale_id)
    refund_no = reference(data.get("refund_no"), "refund_no", "退款单号")
    amount = yuan_to_fen(data["amount"], "amount", "退款金额") if str(data.get("amount") or "").strip() else None
    row, created = refunds.refund(sale.id, refund_no, amount, now=clock.now())
    log.info("refund %s of sale %s (%s fen) by %s, created %s", row.id, sale.id, row.amount_fen,
             current_staff().username, created)
    sale = db.session.get(Sale, sale.id)
    member = refunds.member_of(sale)
    return jsonify(refund={"refund_no": row.refund_no, "amount": money(row.amount_fen),
                           "points_reversed": row.points_reversed,
                           "balance_returned": money(row.balance_returned_fen)},
                   created=created, sale=sale_json(sale),
                   member=balances(member) if member else None), (201 if created else 200)


@bp.post("/api/topups")
@api_login_required
def topup():
    data = body()
    station = station_for(data.get("station"))
    who = identify(data.get("member"), station.code, look_up=False)
    if who is None or who.via == "nozzle":
        raise ValidationError("充值请扫描会员码或输入手机号", field="member")
    amount = yuan_to_fen(data.get("amount"), "amount", "充值金额")
    pay_method = data.get("pay_method") or "cash"
    if not isinstance(pay_method, str) or pay_method not in PAY_METHODS:  # a list would not hash
        raise ValidationError("请选择收款方式", field="pay_method")
    topup_no = reference(data.get("topup_no"), "topup_no", "充值单号")
    done = checkout.topup(station.code, who, topup_no, amount, pay_method, now=clock.now())
    result = done.result
    log.info("top-up %s fen for member %s at %s by %s (no %s)", amount, done.member.id, station.code,
             current_staff().username, topup_no)
    return jsonify(topup={"topup_no": topup_no, "amount": money(result.principal_entry.amount),
                          "bonus": money(result.bonus_fen),
                          "bonus_label": result.bonus_entry.memo if result.bonus_entry else None,
                          "balance": money(result.balance_fen), "pay_method": PAY_METHODS[pay_method]},
                   member=summary(done.member, station.code, now=clock.now())), 201
