"""Shared set-up of the campaign tests: segments and campaigns saved as the console
saves them, members in bulk (PostgreSQL, set-based) and one by one."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from extensions import db
from loyalty.campaigns import lifecycle, segments
from models import Campaign, CampaignMember

REASON = "测试"


def segment(code: str = "ALL", filters: list | None = None):
    return segments.save(code, f"人群 {code}", filters or [], staff=None, reason=REASON)


def campaign(code: str = "C1", *, segment_code: str = "ALL", arms: list | None = None, **form) -> Campaign:
    form = {"name": f"活动 {code}", "segment": segment_code,
            "arms": arms or [{"code": "A", "weight": 1, "message": "好久不见，送您一张券"}], **form}
    return lifecycle.save(code, form, staff=None, reason=REASON)


def launch(code: str = "C1", now: datetime | None = None) -> dict:
    return lifecycle.move(code, "launch", staff=None, reason=REASON, now=now)


def bulk_members(n: int, *, start: int = 1, following: bool = True, marketing: bool = True,
                 created: datetime | None = None) -> None:
    """n consenting members with ids start..start+n-1 (PostgreSQL; phones 1990000xxxx),
    opted in to marketing when asked."""
    created = created or datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.session.execute(text("""
        INSERT INTO members (id, phone, identity, consent_at, following, created_at)
        SELECT i, '19' || lpad(i::text, 9, '0'), 'private', :created, :following, :created
        FROM generate_series(CAST(:lo AS INTEGER), CAST(:hi AS INTEGER)) i"""),
        {"lo": start, "hi": start + n - 1, "created": created, "following": following})
    if marketing:
        db.session.execute(text("""INSERT INTO push_preferences (member_id, service_notices, reminders, marketing)
                                   SELECT i, true, true, true
                                   FROM generate_series(CAST(:lo AS INTEGER), CAST(:hi AS INTEGER)) i"""),
                           {"lo": start, "hi": start + n - 1})
    db.session.execute(text("SELECT setval('members_id_seq', (SELECT max(id) FROM members))"))
    db.session.commit()


def arms_of(code: str) -> dict[int, str]:
    """member id -> arm code, of the members who entered campaign `code`."""
    db.session.expire_all()
    c = lifecycle.get(code)
    names = {a.id: a.code for a in c.arms}
    return {m: names[a] for m, a in db.session.execute(
        db.select(CampaignMember.member_id, CampaignMember.arm_id).where(CampaignMember.campaign_id == c.id))}


def days(n: int) -> timedelta:
    return timedelta(days=n)
