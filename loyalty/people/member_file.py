"""A member's file as the console shows it: profile, consent, bindings, accounts, point
lots with their expiry, sales, coupons, redemptions, feedback, adjustments and (for HQ)
the pushes sent to them (the delivery log). Reads only; phones masked; a station
manager's file holds only their station's sales and no pushes, which tell of the others'
(loyalty.people.staff_scope). Rows are the models themselves (the page formats them)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from extensions import db
from loyalty.books import adjustments
from loyalty.people.members import account_of
from loyalty.people.staff_scope import feedback_visible, is_hq, sales_visible
from models import (Account, Adjustment, Coupon, Delivery, FeedbackTicket, Member, PointLot, Redemption, Sale,
                    Staff, Station, Tier, WeChatBinding)

RECENT = 30


@dataclass(frozen=True)
class MemberFile:
    member: Member
    tier: Tier | None
    points: Account       # the family pool's when the member is in one
    wallet: Account
    lots: list[PointLot]  # those with points left first, soonest expiry first
    sales: list[tuple[Sale, str]]  # (sale, station name)
    coupons: list[Coupon]
    redemptions: list[Redemption]
    feedback: list[FeedbackTicket]
    bindings: list[WeChatBinding]
    adjustments: list[Adjustment]
    deliveries: list[Delivery]  # newest first; empty for a station manager


def masked_openid(openid: str) -> str:
    """An openid shown as its first 6 characters and an ellipsis: enough to tell two apart."""
    return openid[:6] + "…" if len(openid) > 6 else openid


def member_file(staff: Staff, member: Member) -> MemberFile:
    """The file of a member this staff may see (look them up with staff_scope.visible_member)."""
    points = account_of(member, "points")
    lots = db.session.scalars(select(PointLot).where(PointLot.account_id == points.id)
                              .order_by((PointLot.remaining == 0), PointLot.expires_at.is_(None),
                                        PointLot.expires_at, PointLot.id).limit(RECENT)).all()
    sales = db.session.execute(select(Sale, Station.name).join(Station, Station.id == Sale.station_id)
                               .where(Sale.member_id == member.id, sales_visible(staff))
                               .order_by(Sale.id.desc()).limit(RECENT)).all()
    recent = lambda model: db.session.scalars(select(model).where(model.member_id == member.id)  # noqa: E731
                                              .order_by(model.id.desc()).limit(RECENT)).all()
    feedback = db.session.scalars(select(FeedbackTicket).where(FeedbackTicket.member_id == member.id,
                                                               feedback_visible(staff))
                                  .order_by(FeedbackTicket.id.desc()).limit(RECENT)).all()
    return MemberFile(
        member=member, tier=db.session.get(Tier, member.tier_id) if member.tier_id else None,
        points=points, wallet=account_of(member, "stored_value"), lots=list(lots),
        sales=[(s, name) for s, name in sales], coupons=list(recent(Coupon)), redemptions=list(recent(Redemption)),
        feedback=list(feedback), bindings=list(recent(WeChatBinding)),
        adjustments=adjustments.of_member(member.id)[:RECENT],
        deliveries=list(recent(Delivery)) if is_hq(staff) else [])
