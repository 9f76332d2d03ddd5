"""Finding members in the console: by phone (all 11 digits, or the last 4), plate, company
name, tier; always inside what the staff may see (loyalty.people.staff_scope). Phones
come back masked; `reveal_phone` gives one full number to an HQ admin, with a reason,
and writes a change record of it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from extensions import db
from loyalty import changes
from loyalty.errors import NotAllowed, ValidationError
from loyalty.people.staff_scope import is_hq, members_visible
from models import Member, Staff, Tier
from models.phone_tail import phone_tail

LIMIT = 50


@dataclass(frozen=True)
class Found:
    id: int
    phone: str  # masked
    plate: str | None
    company: str | None
    tier: str | None


def _like(text: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def search(staff: Staff, query: str | None, *, tier: str | None = None, limit: int = LIMIT) -> list[Found]:
    """Members matching `query` for this staff, newest first: 11 digits match the phone,
    4 digits its last four, anything else the plate (spaces ignored) or the company name.
    `tier` (a tier code) narrows; an empty query with a tier lists that tier."""
    text = re.sub(r"\s+", "", query or "")
    if len(text) > 64:
        raise ValidationError("搜索内容过长", field="q")
    changes.check_plain(text, "q")
    where = [members_visible(staff)]
    if re.fullmatch(r"(\+?86)?1[0-9]{10}", text):
        where.append(Member.phone == text[-11:])
    elif re.fullmatch(r"[0-9]{4}", text):
        where.append(phone_tail(Member.phone) == text)  # its own index (migration 0023)
    elif text:
        where.append(or_(Member.plate.ilike(_like(text.upper()), escape="\\"),
                         Member.company.ilike(_like(text), escape="\\")))
    elif not tier:
        return []
    if tier:
        where.append(Member.tier_id == select(Tier.id).where(Tier.code == tier).scalar_subquery())
    rows = db.session.execute(select(Member, Tier.name).outerjoin(Tier, Tier.id == Member.tier_id)
                              .where(*where).order_by(Member.id.desc()).limit(limit)).all()
    return [Found(m.id, m.phone_masked, m.plate, m.company, name) for m, name in rows]


def reveal_phone(staff: Staff, member: Member, reason: str, *, now: datetime | None = None) -> str:
    """The member's full phone, for an HQ admin who says why; the reveal is recorded
    (the record holds who, when and why, never the number). Commits."""
    if not is_hq(staff):
        raise NotAllowed("只有总部管理员可以查看完整手机号")
    changes.record("phone_reveal", str(member.id), "reveal", staff=staff, reason=reason, now=now)
    db.session.commit()
    return member.phone
