"""Finding members in the console: by phone (all 11 digits, or the last 4), plate, company
name, tier, tag, RFM segment (loyalty.profiles); always inside what the staff may see
(loyalty.people.staff_scope). Phones come back masked; `reveal_phone` gives one full
number to an HQ admin, with a reason, and writes a change record of it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from extensions import db
from loyalty import changes
from loyalty.errors import NotAllowed, ValidationError
from loyalty.people.staff_scope import is_hq, members_visible
from models import Member, MemberProfile, MemberTag, Staff, TagRule, Tier
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


def _filters(tier: str | None, tag: str | None, segment: str | None) -> list:
    from loyalty.profiles import segments
    where = []
    if tier:
        where.append(Member.tier_id == select(Tier.id).where(Tier.code == tier).scalar_subquery())
    if tag:
        if len(tag) > 32 or db.session.get(TagRule, changes.check_plain(tag, "tag")) is None:
            raise ValidationError("没有这个标签", field="tag")
        where.append(Member.id.in_(select(MemberTag.member_id).where(MemberTag.tag_code == tag)))
    if segment:
        if segment not in segments.CODES:
            raise ValidationError("没有这个分群", field="segment")
        where.append(Member.id.in_(select(MemberProfile.member_id).where(MemberProfile.rfm_segment == segment)))
    return where


def search(staff: Staff, query: str | None, *, tier: str | None = None, tag: str | None = None,
           segment: str | None = None, before: int | None = None, limit: int = LIMIT) -> list[Found]:
    """Members matching `query` for this staff, newest first: 11 digits match the phone,
    4 digits its last four, anything else the plate (spaces ignored) or the company name.
    `tier` (a tier code), `tag` (a tag rule's code) and `segment` (an RFM segment code)
    narrow; an empty query with any of them lists those members, `limit` at a time below
    the id `before`."""
    text = re.sub(r"\s+", "", query or "")
    if len(text) > 64:
        raise ValidationError("搜索内容过长", field="q")
    changes.check_plain(text, "q")
    where = [members_visible(staff), *_filters(tier, tag, segment)]
    if re.fullmatch(r"(\+?86)?1[0-9]{10}", text):
        where.append(Member.phone == text[-11:])
    elif re.fullmatch(r"[0-9]{4}", text):
        where.append(phone_tail(Member.phone) == text)  # its own index (migration 0023)
    elif text:
        where.append(or_(Member.plate.ilike(_like(text.upper()), escape="\\"),
                         Member.company.ilike(_like(text), escape="\\")))
    elif not (tier or tag or segment):
        return []
    if before is not None:
        where.append(Member.id < before)
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
