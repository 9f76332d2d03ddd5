"""Stored-value top-ups at the calling station, with the member code."""
from __future__ import annotations

from flask import g, jsonify

from loyalty.till import checkout, topups
from web import clock
from web.api.members import MEMBER, MEMBER_CODE
from web.api.openapi import operation
from web.api.schema import Enum, Int, Obj, Str

TOPUP = Obj("TopupRequest", {
    "member_code": MEMBER_CODE,
    "amount_fen": Int(minimum=1, maximum=10 ** 8, description="充值本金（分）", example=100000),
    "topup_no": Str(max_len=64, description="充值单号，本站唯一；重试用同一个", example="C20261118-0001"),
    "pay_method": Enum(*topups.PAY_METHODS, description="顾客付款方式"),
})
TOPUP_REPLY = Obj("TopupReply", {"topup": Obj("Topup", {
    "topup_no": Str(max_len=64), "amount_fen": Int(minimum=1), "pay_method": Enum(*topups.PAY_METHODS),
    "bonus_fen": Int(minimum=0, description="按充值赠送规则赠送的金额（分）"),
    "bonus_label": Str(min_len=0, max_len=128, nullable=True, example="充1000送50"),
    "balance_fen": Int(minimum=0, description="充值后的储值余额（分）；重试时为当前余额"),
    "member": MEMBER,
})})


@operation("POST", "/topups", status=201, body=TOPUP, response=TOPUP_REPLY,
           summary="储值充值（按 topup_no 幂等；会员码在此被消耗）",
           errors=("code_expired", "code_used", "code_invalid", "duplicate_conflict"))
def topup(body):
    done = topups.topup(g.station, body["topup_no"], body["member_code"], body["amount_fen"],
                        body["pay_method"], now=clock.now())
    result = done.result
    return jsonify(topup={
        "topup_no": body["topup_no"], "amount_fen": result.principal_entry.amount, "pay_method": body["pay_method"],
        "bonus_fen": result.bonus_fen, "bonus_label": result.bonus_entry.memo if result.bonus_entry else None,
        "balance_fen": result.balance_fen, "member": checkout.summary(done.member, g.station_code),
    }), 201 if done.created else 200
