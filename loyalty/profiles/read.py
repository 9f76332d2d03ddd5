"""What the console reads of the profiles: one member's profile and tags, the members per
segment and per tag (within what the staff may see). Reads only."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from extensions import db
from loyalty.people.staff_scope import members_visible
from loyalty.profiles import segments
from models import Member, MemberProfile, MemberTag, Staff, TagRule

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class Profile:
    row: MemberProfile | None
    segment_name: str
    tags: list[tuple[str, str]]  # (code, name)


def of_member(member_id: int) -> Profile:
    row = db.session.get(MemberProfile, member_id)
    tags = db.session.execute(select(TagRule.code, TagRule.name).join(MemberTag, MemberTag.tag_code == TagRule.code)
                              .where(MemberTag.member_id == member_id).order_by(TagRule.code)).all()
    return Profile(row, segments.name_of(row.rfm_segment) if row else "", [tuple(t) for t in tags])


def segment_counts(staff: Staff) -> list[tuple[str, str, int]]:
    """(code, name, members) of every segment, counting only members this staff may see."""
    counts = dict(db.session.execute(
        select(MemberProfile.rfm_segment, func.count()).join(Member, Member.id == MemberProfile.member_id)
        .where(members_visible(staff)).group_by(MemberProfile.rfm_segment)).all())
    return [(code, name, counts.get(code, 0)) for code, name, _, _ in segments.SEGMENTS]


def tag_counts() -> dict[str, int]:
    """Members carrying each tag (after the last nightly run)."""
    return dict(db.session.execute(select(MemberTag.tag_code, func.count()).group_by(MemberTag.tag_code)).all())


def tags() -> list[TagRule]:
    return list(db.session.scalars(select(TagRule).order_by(TagRule.code)))
