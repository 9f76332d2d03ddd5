"""Family pools on both databases: points move in, members earn into the pool, the owner rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from extensions import db
from loyalty.benefits import family
from loyalty.books import invariants, points
from loyalty.errors import LimitReached, NotAllowed, NotFound, ValidationError
from loyalty.books.ledger import as_utc
from loyalty.people.members import account_of, create_member
from loyalty.policy import Policy
from models import Account, FamilyMember, LedgerEntry, Member, PointLot

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
POLICY = Policy(points_expiry_months=12)


def make_member(phone: str, points_: int = 0, earned: datetime = NOW - timedelta(days=30)) -> Member:
    """A member with empty points and stored-value accounts and `points_` earned at `earned`."""
    member = create_member(phone)
    if points_:
        earn(member, points_, f"seed:{phone}", earned)
    return member


def earn(member: Member, n: int, key: str, now: datetime = NOW):
    return points.earn(account_of(member, "points"), n, key=key, cause_type="sale", now=now, policy=POLICY)


def own_account(member: Member) -> Account:
    return db.session.scalars(select(Account).where(Account.member_id == member.id, Account.kind == "points")).one()


def test_creating_a_family_moves_the_owners_points_into_the_pool_keeping_their_expiry(any_app):
    owner = make_member("13800000001", 300)
    old_expiry = as_utc(db.session.scalars(select(PointLot.expires_at)).one())
    home = family.create(owner, "我家", now=NOW)
    pool = account_of(owner, "points")
    assert pool.family_id == home.id and owner.family_id == home.id
    assert (own_account(owner).balance, pool.balance) == (0, 300)
    [lot] = db.session.scalars(select(PointLot).where(PointLot.account_id == pool.id)).all()
    assert (lot.remaining, as_utc(lot.expires_at)) == (300, old_expiry)
    kinds = db.session.scalars(select(LedgerEntry.kind).where(LedgerEntry.cause_type == "family")).all()
    assert sorted(kinds) == ["transfer", "transfer"]
    assert family.can_redeem(owner)
    assert invariants.check(db.session) == []


def test_invited_members_join_and_earn_into_the_pool(any_app):
    owner, wife = make_member("13800000001", 100), make_member("13800000002", 50)
    home = family.create(owner, "我家", now=NOW)
    invitation = family.invite(home, owner, "138-0000-0002", now=NOW)
    assert as_utc(invitation.expires_at) == NOW + timedelta(days=family.INVITE_DAYS)
    link = family.join(wife, home, now=NOW)
    assert (link.family_id, link.can_redeem) == (home.id, False)
    assert family.join(wife, home, now=NOW).member_id == wife.id  # joining again: nothing new
    earn(wife, 20, "sale:1")
    earn(owner, 30, "sale:2")
    pool = account_of(wife, "points")
    assert pool.id == account_of(owner, "points").id and pool.balance == 200
    assert own_account(wife).balance == 0
    assert [m.member_id for m in family.members(home)] == [owner.id, wife.id]
    assert invariants.check(db.session) == []


def test_only_the_owner_manages_the_family(any_app):
    owner, wife, kid = (make_member(p) for p in ("13800000001", "13800000002", "13800000003"))
    home = family.create(owner, "我家", now=NOW)
    family.invite(home, owner, wife.phone, now=NOW)
    family.join(wife, home, now=NOW)
    with pytest.raises(NotAllowed):
        family.invite(home, wife, kid.phone, now=NOW)
    with pytest.raises(NotAllowed):
        family.set_can_redeem(home, wife, wife, True)
    assert not family.can_redeem(wife)
    family.set_can_redeem(home, owner, wife, True)
    assert family.can_redeem(wife)
    family.set_can_redeem(home, owner, wife, False)
    assert not family.can_redeem(wife)
    with pytest.raises(NotFound):
        family.set_can_redeem(home, owner, kid, True)
    with pytest.raises(ValidationError):
        family.set_can_redeem(home, owner, owner, False)


def test_joining_needs_a_live_invitation_and_no_other_family(any_app):
    owner, other_owner, kid = (make_member(p) for p in ("13800000001", "13800000002", "13800000003"))
    home, other = family.create(owner, "我家", now=NOW), family.create(other_owner, "邻居", now=NOW)
    with pytest.raises(NotAllowed):
        family.join(kid, home, now=NOW)
    family.invite(home, owner, kid.phone, now=NOW)
    with pytest.raises(NotAllowed):
        family.join(kid, home, now=NOW + timedelta(days=family.INVITE_DAYS))
    family.invite(home, owner, kid.phone, now=NOW)  # renewed
    family.invite(other, other_owner, kid.phone, now=NOW)
    family.join(kid, home, now=NOW)
    with pytest.raises(ValidationError):
        family.join(kid, other, now=NOW)
    with pytest.raises(ValidationError):
        family.create(kid, "自己家", now=NOW)


def test_leaving_keeps_the_points_in_the_pool_and_new_points_go_home(any_app):
    owner, kid = make_member("13800000001"), make_member("13800000002", 40)
    home = family.create(owner, "我家", now=NOW)
    family.invite(home, owner, kid.phone, now=NOW)
    family.join(kid, home, now=NOW)
    family.leave(kid)
    assert kid.family_id is None and db.session.get(FamilyMember, kid.id) is None
    earn(kid, 5, "sale:after")
    assert (account_of(owner, "points").balance, account_of(kid, "points").balance) == (40, 5)
    with pytest.raises(NotAllowed):
        family.leave(owner)
    with pytest.raises(ValidationError):
        family.leave(kid)
    assert invariants.check(db.session) == []


def test_a_family_has_at_most_max_members(any_app):
    owner = make_member("13800000001")
    home = family.create(owner, "大家庭", now=NOW)
    for n in range(2, family.MAX_MEMBERS + 1):
        member = make_member(f"1380000000{n}")
        family.invite(home, owner, member.phone, now=NOW)
        family.join(member, home, now=NOW)
    with pytest.raises(LimitReached):
        family.invite(home, owner, "13900000000", now=NOW)


def test_expired_points_stay_behind_for_the_expiry_run(any_app):
    owner = make_member("13800000001", 70, earned=NOW - timedelta(days=500))
    earn(owner, 30, "fresh")
    family.create(owner, "我家", now=NOW)
    assert (own_account(owner).balance, account_of(owner, "points").balance) == (70, 30)
    assert invariants.check(db.session) == []
