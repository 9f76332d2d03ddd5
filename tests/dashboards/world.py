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

from datetime import date, datetime, timedelta

from extensions import db
from loyalty import demo
from loyalty.policy import BUSINESS_TZ
from loyalty.till import refunds
from models import Member
from tests.factories import fuel_sale, make_member

D = date(2026, 11, 12)


def shanghai(day: date, hhmmss: str) -> datetime:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=BUSINESS_TZ)


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
