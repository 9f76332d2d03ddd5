"""Feedback tickets (M13): a member's 反馈 kept for the operators to answer.

A ticket is keyed by the WeChat message its text came in: WeChat's re-delivery is
already stopped by bot.dedup, and the unique message_key makes one message one ticket
even if a delivery slips past it (a Redis flush, a second worker). Its number reads
F<Shanghai date>-<id, at least four digits>, e.g. F20261202-0007: short enough to quote
on the phone, and unique because the id is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from extensions import db
from loyalty.books.ledger import as_utc
from loyalty.errors import ValidationError
from loyalty.once import run_once
from loyalty.policy import BUSINESS_TZ
from models import FeedbackTicket, Member

MAX_TEXT = 500


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str
    text: str
    status: str
    created_at: datetime
    answer: str | None


def ticket_number(ticket_id: int, created_at: datetime) -> str:
    """"F20261202-0007" for ticket 7 opened on 2 December 2026 (Asia/Shanghai)."""
    return f"F{as_utc(created_at).astimezone(BUSINESS_TZ):%Y%m%d}-{ticket_id:04d}"


def clean_text(text: str) -> str:
    """The feedback as stored: stripped. ValidationError when empty or over MAX_TEXT
    characters (characters, not bytes: 500 汉字 fit)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("反馈内容不能为空", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"反馈内容最长 {MAX_TEXT} 字", field="text", length=len(text))
    return text


def _ticket(row: FeedbackTicket) -> Ticket:
    return Ticket(row.id, ticket_number(row.id, row.created_at), row.text, row.status,
                  as_utc(row.created_at), row.answer)


def open_ticket(openid: str, text: str, *, message_key: str, member: Member | None = None,
                now: datetime | None = None) -> tuple[Ticket, bool]:
    """Open a ticket with `text` (clean_text's limits) from `openid` (and its member, if
    bound) for the WeChat message `message_key`. Returns (ticket, created): the same
    message again answers with its first ticket, created False. Commits (run_once)."""
    text = clean_text(text)

    def first() -> Ticket | None:
        row = db.session.scalars(select(FeedbackTicket).where(FeedbackTicket.message_key == message_key)).first()
        return None if row is None else _ticket(row)

    def do() -> Ticket:
        row = FeedbackTicket(openid=openid, member_id=member.id if member else None, message_key=message_key,
                             text=text, status="open", created_at=now or datetime.now(timezone.utc))
        db.session.add(row)
        db.session.flush()
        return _ticket(row)

    done = run_once(f"feedback:{message_key}", first, do)
    return done.result, done.created


def tickets_of(member: Member, limit: int = 20) -> list[Ticket]:
    """The member's tickets, newest first. Reads only."""
    rows = db.session.scalars(select(FeedbackTicket).where(FeedbackTicket.member_id == member.id)
                              .order_by(FeedbackTicket.created_at.desc(), FeedbackTicket.id.desc()).limit(limit))
    return [_ticket(row) for row in rows]
