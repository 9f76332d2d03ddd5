"""Identifying a member at the station: a member code, or the member attached to a nozzle."""
from __future__ import annotations

from flask import g, jsonify

from loyalty.till import checkout, member_codes, nozzles
from loyalty.errors import NotFound
from web import clock
from web.api.openapi import operation
from web.api.schema import Arr, Int, Obj, Str

MEMBER_CODE = Str(min_len=1, max_len=32, description="会员码：18 位数字（扫码或手工输入，可含空格）",
                  example="661234567890123456")
MEMBER = Obj("Member", {
    "id": Int(minimum=1),
    "phone_masked": Str(max_len=16, example="138****8000"),
    "tier": Obj("Tier", {"code": Str(max_len=16, example="gold"), "name": Str(max_len=16, example="金卡")},
                nullable=True),
    "points": Int(minimum=0, description="积分余额"),
    "balance_fen": Int(minimum=0, description="储值余额（分）"),
    "coupons": Arr(Obj("UsableCoupon", {
        "id": Int(minimum=1), "name": Str(max_len=64), "kind": Str(max_len=16),
        "valid_until": Str(max_len=40, description="UTC, ISO 8601"),
    }), max_items=1000, description="本站现在可用的优惠券，最先到期的在前"),
}, description="收银员看到的会员概况（手机号已脱敏）")
MEMBER_OR_NULL = Obj("MemberOrNull", dict(MEMBER.fields), nullable=True, description="无会员时为 null")
MEMBER_REPLY = Obj("MemberReply", {"member": MEMBER})
RESOLVE = Obj("ResolveRequest", {"code": MEMBER_CODE})


@operation("POST", "/member-codes/resolve", summary="识别会员码（不消耗会员码）", body=RESOLVE,
           response=MEMBER_REPLY, errors=("code_expired", "code_used", "code_invalid"))
def resolve_member_code(body):
    now = clock.now()
    member = member_codes.resolve(body["code"], now)
    return jsonify(member=checkout.summary(member, g.station_code, now))


@operation("GET", "/nozzles/<nozzle>/member", summary="查询扫码关联到本站某油枪的会员",
           response=MEMBER_REPLY, errors=("not_found",))
def nozzle_member(nozzle: str):
    member = nozzles.attached(g.station_code, nozzles.check_nozzle(nozzle, "nozzle"))
    if member is None:
        raise NotFound("该油枪当前没有关联会员", field="nozzle")
    return jsonify(member=checkout.summary(member, g.station_code))
