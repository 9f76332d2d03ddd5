"""A member's recent sales, as the chat's 记录 and the H5 records page show them. Reads only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty.books.ledger import as_utc
from models import Member, Sale, SaleLine, Station


@dataclass(frozen=True)
class SaleSummary:
    id: int
    at: datetime
    station: str  # the station's name
    grades: tuple[str, ...]  # fuel grades bought, in line order ("92", "95")
    litres_ml: int
    payable_fen: int
    refunded_fen: int
    points: int


def recent_sales(member: Member, limit: int = 5) -> list[SaleSummary]:
    """The member's last `limit` sales, newest first."""
    rows = db.session.execute(
        select(Sale, Station.name).join(Station, Station.id == Sale.station_id)
        .where(Sale.member_id == member.id)
        .order_by(Sale.created_at.desc(), Sale.id.desc()).limit(limit)).all()
    return summaries(rows)


def summaries(rows) -> list[SaleSummary]:
    """(Sale, station name) rows as SaleSummary, each with the fuel grades it sold (one
    query for all the rows' lines)."""
    grades: dict[int, list[str]] = {}
    if rows:
        for sale_id, grade in db.session.execute(
                select(SaleLine.sale_id, SaleLine.grade_code)
                .where(SaleLine.sale_id.in_([s.id for s, _ in rows]), SaleLine.kind == "fuel")
                .order_by(SaleLine.id)):
            if grade and grade not in grades.setdefault(sale_id, []):
                grades[sale_id].append(grade)
    return [SaleSummary(s.id, as_utc(s.created_at), name, tuple(grades.get(s.id, ())), s.litres_ml,
                        s.payable_fen, s.refunded_fen, s.points_earned) for s, name in rows]
