"""loyalty/generations.py: what a transaction changed moves its counters in Redis after the
commit, never before it and never for a rollback."""
from __future__ import annotations

from datetime import datetime, timezone

from extensions import db, get_redis
from loyalty import generations
from loyalty.books import points
from loyalty.people.members import account_of
from tests.factories import make_member

AT = datetime(2026, 1, 15, 2, 0, tzinfo=timezone.utc)


def counter(name: str) -> int:
    return int(get_redis().get(generations.keys([name])[0]) or 0)


def test_a_ledger_post_moves_its_accounts_counter_only_once_committed(app):
    member = make_member("13800000001")
    account = account_of(member, "points")
    name = generations.account(account.id)
    before = counter(name)
    points.earn(account, 50, key="t:earn", cause_type="test", now=AT)
    db.session.flush()
    assert counter(name) == before  # written, not committed: a reader would still see the old rows
    db.session.commit()
    assert counter(name) == before + 1
    assert 0 < get_redis().ttl(generations.keys([name])[0]) <= generations.COUNTER_TTL


def test_a_rolled_back_transaction_moves_nothing_and_is_forgotten(app):
    member = make_member("13800000001")
    account = account_of(member, "points")
    name = generations.account(account.id)
    before = counter(name)
    points.earn(account, 50, key="t:earn", cause_type="test", now=AT)
    generations.touch(generations.family(99))
    db.session.rollback()
    assert counter(name) == before
    db.session.commit()  # an empty transaction after the rollback publishes nothing left over
    assert counter(name) == before and counter(generations.family(99)) == 0


def test_orm_writes_are_seen_at_flush_and_touch_covers_sql_the_orm_never_saw(app):
    member = make_member("13800000001")
    before = counter(generations.member(member.id))
    member.plate = "浙A00001"
    db.session.commit()
    assert counter(generations.member(member.id)) == before + 1
    generations.touch(generations.openid("o_x"), generations.EVERYTHING)
    db.session.commit()
    assert (counter(generations.openid("o_x")), counter(generations.EVERYTHING)) == (1, 1)
    assert get_redis().ttl(generations.keys([generations.EVERYTHING])[0]) == -1  # the global one never expires


def test_a_savepoint_rolled_back_inside_a_committed_transaction_still_publishes_the_rest(app):
    member = make_member("13800000001")
    account = account_of(member, "points")
    before = counter(generations.account(account.id))
    with db.session.begin_nested() as nested:
        generations.touch(generations.family(5))
        nested.rollback()
    points.earn(account, 5, key="t:earn2", cause_type="test", now=AT)
    db.session.commit()
    assert counter(generations.account(account.id)) == before + 1
    # Changes noted inside the savepoint that rolled back are published too: a counter
    # moved for nothing costs one cache miss, a counter not moved would serve stale data.
    assert counter(generations.family(5)) == 1
