"""Bind the bench's openids (o_bench_000 .. o_bench_255) to members, so (c) 积分 in
bench/webhook.py reads a real member's points. Idempotent: run before every bench.

    python -m bench.bound_members [COUNT]     (DATABASE_URL / REDIS_URL from the environment)
    python -m bench.bound_members --remove    (after the run: the database is left as found)

The members are bench fixtures, not business history: removing them deletes their rows
outright (a test database shared with the suite must not keep them).
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone

from sqlalchemy import select


def openid(i: int) -> str:
    return f"o_bench_{i:03d}"  # the openids bench.webhook.prepare sends from


def seed(count: int = 256) -> int:
    """Create the missing members (phone 1370000xxxx, 120 points each); returns how many."""
    from app import create_app
    from extensions import db
    from loyalty.books import points
    from loyalty.people import members
    from models import WeChatBinding
    app = create_app()
    made = 0
    with app.app_context():
        bound = set(db.session.scalars(select(WeChatBinding.openid).where(WeChatBinding.openid.like("o_bench_%"))))
        for i in range(count):
            if openid(i) in bound:
                continue
            member = members.create_member(f"1370000{i:04d}", consent=True)
            db.session.add(WeChatBinding(openid=openid(i), member_id=member.id))
            points.earn(members.account_of(member, "points"), 120, key=f"bench:seed:{member.id}",
                        cause_type="test", now=datetime.now(timezone.utc))
            made += 1
        db.session.commit()
    return made


def remove() -> int:
    """Delete the bench members and everything seed() made for them; returns how many."""
    from sqlalchemy import delete

    from app import create_app
    from extensions import db
    from models import Account, LedgerEntry, Member, PointLot, TierChange, WeChatBinding
    with create_app().app_context():
        ids = select(WeChatBinding.member_id).where(WeChatBinding.openid.like("o_bench_%")).scalar_subquery()
        accounts = select(Account.id).where(Account.member_id.in_(ids)).scalar_subquery()
        members = list(db.session.scalars(select(Member.id).where(Member.id.in_(ids))))
        db.session.execute(delete(PointLot).where(PointLot.account_id.in_(accounts)))
        db.session.execute(delete(LedgerEntry).where(LedgerEntry.account_id.in_(accounts)))
        db.session.execute(delete(Account).where(Account.member_id.in_(members)))
        db.session.execute(delete(TierChange).where(TierChange.member_id.in_(members)))  # a starting tier
        db.session.execute(delete(WeChatBinding).where(WeChatBinding.member_id.in_(members)))
        db.session.execute(delete(Member).where(Member.id.in_(members)))
        db.session.commit()
    return len(members)


if __name__ == "__main__":
    if sys.argv[1:] == ["--remove"]:
        print(f"removed {remove()} bench members")
    else:
        print(f"bound {seed(int(sys.argv[1]) if len(sys.argv) > 1 else 256)} new bench members")
