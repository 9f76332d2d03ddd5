"""What a member of staff may see in the operators' console, written once.

Roles: `hq_admin` sees every member and every station; a `station_manager` sees their
own station's members (those with at least one sale there) and, of those, only the sales
of their station; a `cashier` has no console at all. The console's views never query
members, sales, feedback or invoice requests without going through these conditions.
"""
from __future__ import annotations

from sqlalchemy import exists, select, true

from extensions import db
from loyalty.errors import NotAllowed, NotFound
from models import FeedbackTicket, InvoiceRequest, Member, Sale, Staff

CONSOLE_ROLES = ("hq_admin", "station_manager")


def require_console(staff: Staff | None) -> Staff:
    """The staff, if they may use the console at all; NotAllowed for a cashier."""
    if staff is None or not staff.active or staff.role not in CONSOLE_ROLES:
        raise NotAllowed("无权使用运营后台")
    return staff


def is_hq(staff: Staff | None) -> bool:
    return staff is not None and staff.active and staff.role == "hq_admin"


def members_visible(staff: Staff):
    """The condition on Member for the members this staff may see (not erased ones)."""
    require_console(staff)
    alive = Member.deleted_at.is_(None)
    if is_hq(staff):
        return alive
    return alive & exists().where(Sale.member_id == Member.id, Sale.station_id == staff.station_id)


def sales_visible(staff: Staff):
    """The condition on Sale: every sale for HQ, the own station's for a manager."""
    require_console(staff)
    return true() if is_hq(staff) else Sale.station_id == staff.station_id


def feedback_visible(staff: Staff):
    """The condition on FeedbackTicket: all for HQ; a manager, those of their station's members."""
    require_console(staff)
    if is_hq(staff):
        return true()
    return FeedbackTicket.member_id.in_(select(Member.id).where(members_visible(staff)))


def invoices_visible(staff: Staff):
    """The condition on InvoiceRequest: all for HQ; a manager, those for their station's sales."""
    require_console(staff)
    if is_hq(staff):
        return true()
    return InvoiceRequest.sale_id.in_(select(Sale.id).where(Sale.station_id == staff.station_id))


def visible_member(staff: Staff, member_id: int) -> Member:
    """The member, if this staff may see them; NotFound otherwise (another station's member
    reads as no member at all: its existence is not that station's business)."""
    member = None
    if 0 < member_id < 2 ** 31:
        member = db.session.scalars(select(Member).where(Member.id == member_id, members_visible(staff))).first()
    if member is None:
        raise NotFound("会员不存在", field="member_id")
    return member
