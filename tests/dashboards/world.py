"""A small world for the dashboards, worked out by hand (Shanghai times; D = Thursday
2026-11-12, week of Monday 2026-11-09):

    S1  anonymous  S001  92   40 L x 7.65 = 306.00  D 23:59:59       (D, hour 23)
    S2  east       S001  95   20 L x 8.18 = 163.60  D+1 00:00:00     (D+1, hour 0)
    S3  east       S002  98   10 L x 9.06 =  90.60  D 10:15          (pays with coupon? no)
    S4  anonymous  S001  0#   50 L x 7.42 = 371.00  D 10:40          (later refunded 74.20: 1/5)
    S5  west       S001  92   30 L x 7.65 = 229.50  D 10:50          refunded in full at D 11:00

east joined on D, west the week before (2026-11-05). The normal tier has no discount, so
payable = gross. Points: S2 20, S3 15 (98#: 3 per 2 L), S5 30 taken back.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from extensions import db
from loyalty import demo
from loyalty.policy import BUSINESS_TZ
from loyalty.till import refunds
from models import Member
from tests.factories import fuel_sale, make_member

D = date(2026, 11, 12)


def shanghai(day: date, hhmmss: str) -> datetime:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    # In UTC: SQLite stores an aware datetime's wall-clock digits as they are.
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)


def build() -> dict:
    demo.seed()
    east = make_member("13900001234")
    west = make_member("13700005678")
    db.session.get(Member, east.id).created_at = shanghai(D, "09:00:00")
    db.session.get(Member, west.id).created_at = shanghai(date(2026, 11, 5), "09:00:00")
    db.session.commit()
    sales = {
        "S1": fuel_sale(None, "40", grade="92", unit_price_fen=765, at=shanghai(D, "23:59:59"), txn="S1"),
        "S2": fuel_sale(east, "20", grade="95", unit_price_fen=818, at=shanghai(D + timedelta(days=1), "00:00:00"),
                        txn="S2"),
        "S3": fuel_sale(east, "10", grade="98", unit_price_fen=906, at=shanghai(D, "10:15:00"), station="S002",
                        txn="S3"),
        "S4": fuel_sale(None, "50", grade="0", unit_price_fen=742, at=shanghai(D, "10:40:00"), txn="S4"),
        "S5": fuel_sale(west, "30", grade="92", unit_price_fen=765, at=shanghai(D, "10:50:00"), txn="S5"),
    }
    refunds.refund(sales["S5"].id, "R5", now=shanghai(D, "11:00:00"))
    return {"east": east.id, "west": west.id, **{k: v.id for k, v in sales.items()}}


def refund_s4(world: dict, at: datetime) -> None:
    refunds.refund(world["S4"], "R4", 7420, now=at)


def more(world: dict) -> None:
    """East tops up 500 yuan at S002 (充500送20: bonus 20 yuan); three coupons for east on D
    09:00: one used by S3 (at S002), one whose validity ends at D+1 00:00 and expires, one
    left; the delivery log: to east on D a template notice sent and a subscribe notice
    failed (and a retry, counted nowhere); a custom message sent on D+1 with no member."""
    from loyalty.benefits import coupons
    from loyalty.till.topups import topup_member
    from models import Coupon, Delivery, Outbox
    east = db.session.get(Member, world["east"])
    topup_member("S002", east, "TU1", 50000, "wechat", now=shanghai(D, "09:30:00"))
    issued = [coupons.issue(east, "FULL200_20", key=f"dash:{n}", now=shanghai(D, "09:00:00")) for n in range(3)]
    db.session.commit()
    coupons.use([issued[0].id], east, world["S3"], now=shanghai(D, "10:15:00"))
    db.session.get(Coupon, issued[1].id).valid_until = shanghai(D + timedelta(days=1), "00:00:00")
    db.session.commit()
    coupons.expire_due(now=shanghai(D + timedelta(days=1), "01:00:00"))
    db.session.commit()
    for n, (member_id, channel, outcome, at) in enumerate([
            (east.id, "template", "sent", shanghai(D, "12:00:00")),
            (east.id, "subscribe", "failed", shanghai(D, "12:05:00")),
            (east.id, "template", "retry", shanghai(D, "12:06:00")),
            (None, "custom", "sent", shanghai(D + timedelta(days=1), "08:00:00"))]):
        row = Outbox(kind="receipt", dedup_key=f"dash:{n}", member_id=member_id, payload="{}",
                     status={"retry": "pending"}.get(outcome, outcome))
        db.session.add(row)
        db.session.flush()
        db.session.add(Delivery(outbox_id=row.id, member_id=member_id, kind="receipt", channel=channel,
                                outcome=outcome, created_at=at))
    db.session.commit()
