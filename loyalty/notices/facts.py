"""What a notice's fields need beyond its payload, read when the notice is sent (so a
receipt shows the sale as committed, whoever wrote the outbox row)."""
from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import Account, Coupon, CouponTemplate, Sale, SaleRefund, Station


def _sale(sale_id: int) -> dict | None:
    row = db.session.execute(
        select(Sale.id, Sale.payable_fen, Sale.litres_ml, Sale.points_earned, Sale.created_at, Sale.member_id,
               Station.name).join(Station, Station.id == Sale.station_id).where(Sale.id == sale_id)).first()
    if row is None:
        return None
    balance = db.session.scalar(select(Account.balance).where(Account.member_id == row.member_id,
                                                              Account.kind == "points")) or 0
    return {"station": row.name, "payable_fen": int(row.payable_fen), "litres_ml": int(row.litres_ml),
            "points": int(row.points_earned), "points_balance": int(balance), "at": row.created_at}


def _refund(refund_id: int) -> dict | None:
    row = db.session.execute(
        select(SaleRefund.amount_fen, SaleRefund.points_reversed, SaleRefund.created_at, Station.name)
        .join(Sale, Sale.id == SaleRefund.sale_id).join(Station, Station.id == Sale.station_id)
        .where(SaleRefund.id == refund_id)).first()
    if row is None:
        return None
    return {"station": row.name, "amount_fen": int(row.amount_fen), "points_reversed": int(row.points_reversed),
            "at": row.created_at}


def _coupon(coupon_id: int | None) -> dict | None:
    if coupon_id is None:
        return None
    row = db.session.execute(select(CouponTemplate.name, Coupon.valid_until)
                             .join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
                             .where(Coupon.id == coupon_id)).first()
    return None if row is None else {"title": row.name, "valid_until": row.valid_until}


def _campaign_arm(arm_id) -> dict | None:
    from models import CampaignArm
    row = db.session.execute(select(CampaignArm.message, CampaignArm.sms_text)
                             .where(CampaignArm.id == int(arm_id))).first()
    return None if row is None else {"message": row.message, "sms_text": row.sms_text}


class MissingFact(LookupError):
    """The row a notice is about is gone (an erased member's sale, say): nothing to send."""


def load(needs: tuple[str, ...], payload: dict) -> dict:
    """The facts `needs` names, for this payload. Raises MissingFact when a sale or a
    refund it names does not exist; a missing coupon is None (the notice still goes)."""
    facts: dict = {}
    if "sale" in needs:
        facts["sale"] = _sale(int(payload["sale_id"]))
        if facts["sale"] is None:
            raise MissingFact(f"sale {payload['sale_id']}")
    if "refund" in needs:
        facts["refund"] = _refund(int(payload["refund_id"]))
        if facts["refund"] is None:
            raise MissingFact(f"refund {payload['refund_id']}")
    if "coupon" in needs:
        facts["coupon"] = _coupon(payload.get("coupon_id"))
    if "campaign" in needs:
        facts["campaign"] = _campaign_arm(payload["arm_id"])
        if facts["campaign"] is None:
            raise MissingFact(f"campaign arm {payload['arm_id']}")
    return facts
