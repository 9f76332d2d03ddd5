"""The last four digits of a phone: the expression finds exactly the phones ending in
them, and the database answers from its index (migration 0023), on both databases."""
from __future__ import annotations

from sqlalchemy import select, text

from extensions import db
from loyalty.people.members import create_member
from models.phone_tail import phone_tail
from models import Member


def test_the_last_four_digits_find_only_phones_ending_in_them(any_app):
    for phone in ("13800001234", "13912341234", "13800012345", "15012340000", "13800004321"):
        create_member(phone)
    found = db.session.scalars(select(Member.phone).where(phone_tail(Member.phone) == "1234")
                               .order_by(Member.phone)).all()
    assert found == ["13800001234", "13912341234"]


def test_the_search_by_the_last_four_uses_the_index(any_app):
    query = select(Member.id).where(phone_tail(Member.phone) == "1234")
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a near-empty table would be scanned anyway
        plan = "\n".join(db.session.scalars(text(f"EXPLAIN {sql}")))
    else:
        plan = "\n".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "ix_members_phone_tail" in plan, plan
    db.session.rollback()
