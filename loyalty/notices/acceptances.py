"""Subscription-notice acceptances (WeChat's one-time subscriptions), per openid and
template: recorded from the popup / change events, spent one per notice by the delivery
(loyalty.notices.delivery), confirmed by the sent event. Each function commits."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select, update

from extensions import db
from models import NoticeAcceptance, WeChatBinding

MAX_UNUSED = 50  # per openid and template: WeChat keeps no more, neither do we


def _member_id(openid: str) -> int | None:
    return db.session.scalar(select(WeChatBinding.member_id).where(WeChatBinding.openid == openid))


def accept(openid: str, template_ids: list[str], now: datetime | None = None) -> int:
    """One acceptance per template the member accepted; returns how many were recorded."""
    now = now or datetime.now(timezone.utc)
    member_id = _member_id(openid)
    recorded = 0
    for template_id in template_ids:
        unused = db.session.scalars(select(NoticeAcceptance.id).where(
            NoticeAcceptance.openid == openid, NoticeAcceptance.template_id == template_id,
            NoticeAcceptance.used_at.is_(None))).all()
        if len(unused) >= MAX_UNUSED:
            continue
        db.session.add(NoticeAcceptance(openid=openid, member_id=member_id, template_id=template_id[:64],
                                        accepted_at=now))
        recorded += 1
    db.session.commit()
    return recorded


def withdraw(openid: str, template_ids: list[str]) -> int:
    """The member turned a template off (subscribe_msg_change_event: reject): the unused
    acceptances go; the spent ones stay as history."""
    if not template_ids:
        return 0
    gone = db.session.execute(delete(NoticeAcceptance).where(
        NoticeAcceptance.openid == openid, NoticeAcceptance.template_id.in_(template_ids),
        NoticeAcceptance.used_at.is_(None))).rowcount
    db.session.commit()
    return gone


def confirm(openid: str, template_id: str, status: str, now: datetime | None = None) -> bool:
    """WeChat reports a notice's fate (subscribe_msg_sent_event): noted on the latest spent
    acceptance of that template not yet confirmed."""
    now = now or datetime.now(timezone.utc)
    found = db.session.scalar(select(NoticeAcceptance.id).where(
        NoticeAcceptance.openid == openid, NoticeAcceptance.template_id == template_id,
        NoticeAcceptance.used_at.is_not(None), NoticeAcceptance.confirmed_at.is_(None))
        .order_by(NoticeAcceptance.used_at.desc()).limit(1))
    if found is None:
        return False
    db.session.execute(update(NoticeAcceptance).where(NoticeAcceptance.id == found)
                       .values(confirmed_at=now, sent_status=status[:32]))
    db.session.commit()
    return True


def left(openid: str) -> dict[str, int]:
    """Unused acceptances by template (what the profile page shows)."""
    counts: dict[str, int] = {}
    for template_id in db.session.scalars(select(NoticeAcceptance.template_id).where(
            NoticeAcceptance.openid == openid, NoticeAcceptance.used_at.is_(None))):
        counts[template_id] = counts.get(template_id, 0) + 1
    return counts
