"""Helpers of the profile tests: sales at a Shanghai moment through the real commit path
(with their lines), bare sale rows for many members at once, and the profiles read back."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from extensions import db
from loyalty.profiles import compute
from loyalty.till import sales
from loyalty.till.pricing import FuelLine, ShopLine
from models import MemberProfile, MemberTag, Sale, Station
from tests.reminders.world import shanghai

PRICES = {"92": 765, "95": 818, "98": 906, "0": 742}


def sale(member, day: str, at: str, grade: str, litres: int, *, shop_fen: int = 0, txn: str | None = None) -> Sale:
    """A sale of `litres` whole litres of `grade` (the listed price) and a shop line."""
    lines = [FuelLine(grade=grade, litres_ml=litres * 1000, unit_price_fen=PRICES[grade])]
    if shop_fen:
        lines.append(ShopLine(category="drinks", amount_fen=shop_fen))
    return sales.commit("S001", txn or f"P{member.id}-{day}-{at}", lines, member_id=member.id,
                        now=shanghai(day, at)).sale


def bare_sales(rows: list[tuple[int, datetime, int, int]]) -> None:
    """Sale rows without lines, inserted at once: (member id, at, litres_ml, payable_fen)."""
    station = db.session.scalars(select(Station.id).where(Station.code == "S001")).first()
    db.session.execute(insert(Sale), [
        dict(station_id=station, pos_txn_no=f"BARE{n}", request_hash="bare", member_id=m, gross_fen=fen,
             discount_fen=0, payable_fen=fen, pay_with="external", paid_from_balance_fen=0, litres_ml=ml,
             points_earned=0, refunded_fen=0, created_at=at) for n, (m, at, ml, fen) in enumerate(rows)])
    db.session.commit()


def run(day: str, at: str = "10:00") -> compute.Run:
    done = compute.run(shanghai(day, at))
    db.session.commit()
    return done


def profiles() -> dict[int, MemberProfile]:
    db.session.expire_all()
    return {p.member_id: p for p in db.session.scalars(select(MemberProfile))}


def tags() -> set[tuple[int, str]]:
    return set(db.session.execute(select(MemberTag.member_id, MemberTag.tag_code)).all())
