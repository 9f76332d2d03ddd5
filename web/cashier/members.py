"""How the cashier page identifies a member, and the member as the cashier sees them.

Three ways, each with what it allows (the e-card's dynamic code proves the member is at
the counter; a phone number only says who they claim to be):
- "code": the e-card's code, scanned or typed: everything, payment from the balance too;
- "nozzle": the member scanned the pump's QR code and is attached to the nozzle
  (loyalty.till.nozzles): coupons and points, no balance payment (PRODUCT M5: balance payment
  is with the dynamic code);
- "phone": the member says their number: points and top-ups only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from loyalty.till import checkout, member_codes, nozzles

from loyalty.people import members
from loyalty.errors import NotFound, ValidationError
from loyalty.books.ledger import as_utc
from loyalty.policy import BUSINESS_TZ
from loyalty.till.pricing import fen_to_yuan
from models import Member

VIA_NAMES = {"code": "会员码", "nozzle": "油枪扫码", "phone": "手机号"}
_NOZZLE = re.compile(r"^[0-9A-Za-z]{1,8}$")  # as loyalty.till.nozzles accepts, with a cashier's message


@dataclass(frozen=True)
class Identified:
    # None for a code not looked up: a sale or a top-up learns the member by consuming it.
    member: Member | None
    via: str  # "code" | "nozzle" | "phone"
    code: str | None = None
    nozzle: str | None = None

    @property
    def may_use_coupons(self) -> bool:
        return self.via in ("code", "nozzle")

    @property
    def may_pay_from_balance(self) -> bool:
        return self.via == "code"


def normalise_nozzle(raw) -> str:
    nozzle = str(raw or "").strip()
    if not _NOZZLE.match(nozzle):
        raise ValidationError("油枪号应为 1-8 位字母或数字", field="nozzle")
    return nozzle


def nozzle_member(station_code: str, nozzle: str) -> Member | None:
    """The member attached to that nozzle now (a pump QR scan), or None; nothing changes."""
    return nozzles.attached(station_code, normalise_nozzle(nozzle))


def identify(ref, station_code: str, *, look_up: bool = True, now: datetime | None = None) -> Identified | None:
    """The member a request names ({"code": ...}, {"nozzle": ...} or {"phone": ...}), or None
    for a walk-in sale. Nothing is used up here. A sale or a top-up passes look_up=False
    for a code or a nozzle: it uses them up itself, and its retry finds them gone."""
    if not ref:
        return None
    if not isinstance(ref, dict):
        raise ValidationError("会员信息格式有误", field="member")
    if ref.get("code"):
        code = re.sub(r"[\s-]", "", str(ref["code"]))
        return Identified(member_codes.resolve(code, now) if look_up else None, "code", code=code)
    if ref.get("nozzle"):
        nozzle = normalise_nozzle(ref["nozzle"])
        if not look_up:
            return Identified(None, "nozzle", nozzle=nozzle)
        member = nozzles.attached(station_code, nozzle)
        if member is None:
            raise NotFound(f"{nozzle} 号油枪暂无扫码会员", field="nozzle")
        return Identified(member, "nozzle", nozzle=nozzle)
    if ref.get("phone"):
        member = members.find_by_phone(str(ref["phone"]))
        if member is None:
            raise NotFound("未找到该手机号的会员", field="phone")
        return Identified(member, "phone")
    raise ValidationError("请扫描会员码或选择会员", field="member")


def balances(member: Member) -> dict:
    """The member's points and stored value after a sale, refund or top-up."""
    points = members.account_of(member, "points")
    stored = members.account_of(member, "stored_value")
    return {"points": points.balance, "family_pool": member.family_id is not None,
            "balance_fen": stored.balance, "balance": fen_to_yuan(stored.balance)}


def summary(member: Member, station_code: str, via: str | None = None, now: datetime | None = None) -> dict:
    """loyalty.till.checkout.summary (masked phone, tier, points, balance, coupons usable here),
    with yuan strings, local dates, and what this way of identifying allows."""
    found = checkout.summary(member, station_code, now)
    found.update(balances(member))
    found.update(phone=found["phone_masked"], plate=member.plate, via=via, via_name=VIA_NAMES.get(via or ""),
                 tier_name=found["tier"]["name"] if found["tier"] else None,
                 may_use_coupons=via in ("code", "nozzle"), may_pay_from_balance=via == "code")
    if found["may_use_coupons"]:
        for coupon in found["coupons"]:
            # checkout gives UTC ISO; the cashier reads a Shanghai date.
            coupon["valid_until_local"] = _local_date(coupon["valid_until"])
    else:
        found["coupons"] = []
    return found


def _local_date(iso_utc: str) -> str:
    return as_utc(datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d")
