"""The member's full records, as the H5 pages page through them: sales (and one sale in
detail), point lots with their expiry, point movements, coupons, redemptions. Reads only.

Every lookup by id takes the member and answers NotFound for an id that is not theirs
(the same answer as for an id that does not exist, so ids cannot be probed).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from extensions import db
from loyalty.books.ledger import as_utc
from loyalty.errors import NotFound
from loyalty.people.history import summaries
from loyalty.people.members import account_of
from loyalty.people.statements import last_day
from models import Coupon, LedgerEntry, Member, PointLot, Redemption, Sale, Station


@dataclass(frozen=True)
class Page:
    items: list
    page: int  # 1-based
    pages: int  # at least 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _page(query, count_query, page: int, per_page: int) -> tuple[list, int, int]:
    total = int(db.session.scalar(count_query) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    return db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all(), page, pages


def sales_page(member: Member, page: int = 1, per_page: int = 20) -> Page:
    """The member's sales, newest first, one page of them."""
    rows, page, pages = _page(
        select(Sale, Station.name).join(Station, Station.id == Sale.station_id)
        .where(Sale.member_id == member.id).order_by(Sale.created_at.desc(), Sale.id.desc()),
        select(func.count()).select_from(Sale).where(Sale.member_id == member.id), page, per_page)
    return Page(summaries(rows), page, pages)


def own_sale(member: Member, sale_id: int) -> Sale:
    """One of the member's sales, with its lines and discounts; NotFound for anyone else's."""
    sale = db.session.get(Sale, sale_id)
    if sale is None or sale.member_id != member.id:
        raise NotFound("未找到这笔消费记录")
    return sale


def station_name(sale: Sale) -> str:
    return db.session.scalar(select(Station.name).where(Station.id == sale.station_id)) or ""


@dataclass(frozen=True)
class Lot:
    earned_at: datetime
    amount: int
    remaining: int
    expires_on: date | None  # the last Shanghai day it can be used; None: never expires
    expired: bool


def point_lots(member: Member, *, now: datetime, limit: int = 50) -> list[Lot]:
    """The lots of the account the member earns into (the family pool in a family), still
    holding points first, soonest to expire first; then emptied ones, newest first."""
    account = account_of(member, "points")
    lots = db.session.scalars(
        select(PointLot).where(PointLot.account_id == account.id)
        .order_by((PointLot.remaining == 0), PointLot.expires_at.asc().nulls_last(), PointLot.id)
        .limit(limit)).all()
    return [Lot(as_utc(lot.earned_at), lot.amount, lot.remaining,
                last_day(lot.expires_at) if lot.expires_at else None,
                lot.expires_at is not None and as_utc(lot.expires_at) <= now) for lot in lots]


def point_movements(member: Member, page: int = 1, per_page: int = 20) -> Page:
    """The points account's ledger entries, newest first (rows: LedgerEntry)."""
    account = account_of(member, "points")
    rows, page, pages = _page(
        select(LedgerEntry).where(LedgerEntry.account_id == account.id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()),
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.account_id == account.id),
        page, per_page)
    return Page([entry for (entry,) in rows], page, pages)


def coupons_of(member: Member, limit: int = 100) -> list[Coupon]:
    """The member's coupons: those still issued first, then used, expired or void ones;
    each group soonest to end first."""
    return list(db.session.scalars(
        select(Coupon).where(Coupon.member_id == member.id)
        .order_by((Coupon.status != "issued"), Coupon.valid_until, Coupon.id.desc()).limit(limit)))


def own_coupon(member: Member, coupon_id: int) -> Coupon:
    """One of the member's coupons; NotFound for anyone else's."""
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None or coupon.member_id != member.id:
        raise NotFound("未找到这张优惠券")
    return coupon


def own_redemption(member: Member, redemption_id: int) -> Redemption:
    """One of the member's redemptions; NotFound for anyone else's."""
    found = db.session.get(Redemption, redemption_id)
    if found is None or found.member_id != member.id:
        raise NotFound("未找到这次兑换")
    return found


def redemptions_of(member: Member, limit: int = 20) -> list[Redemption]:
    """The member's latest redemptions, newest first."""
    return list(db.session.scalars(select(Redemption).where(Redemption.member_id == member.id)
                                   .order_by(Redemption.id.desc()).limit(limit)))
