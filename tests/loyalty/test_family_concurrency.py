"""Family races on PostgreSQL: threads with their own app contexts, sessions and
transactions, staged with barriers and events so the bad interleaving really happens."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty import demo
from loyalty.benefits import family
from loyalty.books import invariants
from loyalty.errors import LoyaltyError
from loyalty.people import members
from loyalty.till import sales
from loyalty.till.pricing import FuelLine
from models import Account, Family, FamilyMember, Member

WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # no member day


@pytest.fixture
def world(app):
    demo.seed()
    return app


def in_thread(app, work):
    """Run work() in its own app context and session; commit; "ok" or the error code."""
    with app.app_context():
        try:
            work()
            db.session.commit()
            return "ok"
        except LoyaltyError as e:
            db.session.rollback()
            return e.code
        finally:
            db.session.remove()


def test_two_joins_racing_for_the_last_place_leave_the_family_at_its_maximum(world, monkeypatch):
    owner = members.create_member("13900000000")
    home = family.create(owner, "我家", now=WEDNESDAY)
    for n in range(1, 5):  # the owner and four more: 5 of MAX_MEMBERS = 6
        member = members.create_member(f"1390000000{n}")
        family.invite(home, owner, member.phone, now=WEDNESDAY)
        family.join(member, home, now=WEDNESDAY)
    latecomers = [members.create_member(p).id for p in ("13900000008", "13900000009")]
    for member_id in latecomers:
        family.invite(home, owner, db.session.get(Member, member_id).phone, now=WEDNESDAY)
    family_id = home.id
    db.session.commit()
    assert family.MAX_MEMBERS == 6

    # Each join waits, right after counting, until the other has counted too (or 1 s):
    # unguarded, both count 5 and both join; under the family lock the second cannot
    # count before the first commits, so it counts 6.
    counted = threading.Barrier(2, timeout=1)
    size = family._size

    def size_then_wait(the_family):
        n = size(the_family)
        try:
            counted.wait()
        except threading.BrokenBarrierError:
            pass
        return n

    monkeypatch.setattr(family, "_size", size_then_wait)
    join = lambda member_id: in_thread(world, lambda: family.join(  # noqa: E731
        db.session.get(Member, member_id), db.session.get(Family, family_id), now=WEDNESDAY))
    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(join, latecomers))

    assert outcomes == ["limit_reached", "ok"]
    assert db.session.scalar(select(func.count()).select_from(FamilyMember)
                             .where(FamilyMember.family_id == family_id)) == 6
    assert invariants.check(db.session) == []


def test_a_sale_that_read_the_member_before_their_join_committed_earns_into_the_pool(world):
    owner, wife = members.create_member("13900000001"), members.create_member("13900000002")
    home = family.create(owner, "我家", now=WEDNESDAY)
    family.invite(home, owner, wife.phone, now=WEDNESDAY)
    wife_id, family_id = wife.id, home.id
    db.session.commit()
    read, joined = threading.Event(), threading.Event()

    def sale():
        # The cashier's request has loaded the member (not in a family yet) when the
        # join commits; the sale then takes its locks with that stale member in hand.
        # (Held, so the session's weak identity map keeps it.)
        stale = db.session.get(Member, wife_id)
        read.set()
        assert joined.wait(10)
        sales.commit("S001", "T1", [FuelLine(grade="92", litres_ml=40_000, unit_price_fen=765)],
                     member_id=wife_id, now=WEDNESDAY)
        assert stale is not None

    def join():
        assert read.wait(10)
        family.join(db.session.get(Member, wife_id), db.session.get(Family, family_id), now=WEDNESDAY)
        db.session.commit()
        joined.set()

    with ThreadPoolExecutor(2) as pool:
        outcomes = [f.result() for f in [pool.submit(in_thread, world, sale), pool.submit(in_thread, world, join)]]

    assert outcomes == ["ok", "ok"]
    db.session.expire_all()
    own = db.session.scalar(select(Account.balance).where(Account.member_id == wife_id, Account.kind == "points"))
    pool_balance = db.session.scalar(select(Account.balance).where(Account.family_id == family_id))
    assert (own, pool_balance) == (0, 40)  # 40 L of 92# at 1 point a litre, all in the pool
    assert invariants.check(db.session) == []
