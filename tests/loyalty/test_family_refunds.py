"""Refunds claw points back from where they are now: a family pool the member moved them
into, even after leaving it (PostgreSQL, through loyalty.till.refunds and the station API)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from extensions import db
from loyalty import demo
from loyalty.benefits import family
from loyalty.books import invariants, points
from loyalty.people import members
from loyalty.till import refunds, sales
from loyalty.till.pricing import FuelLine
from models import Account
from tests.factories import on_weekday

OCTOBER = datetime(2026, 10, 14, 2, 0, tzinfo=timezone.utc)  # a Wednesday: no member day
WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 18, 5, 0, tzinfo=timezone.utc)


@pytest.fixture
def world(app):
    demo.seed()
    return app


def new_member(phone: str):
    member = members.create_member(phone, consent=True)
    db.session.commit()
    return member


def fill(member, litres: int, txn: str, now=WEDNESDAY):
    """A 92# sale at 7.65 yuan a litre: a normal member earns 1 point a litre."""
    line = FuelLine(grade="92", litres_ml=litres * 1000, unit_price_fen=765)
    return sales.commit("S001", txn, [line], member_id=member.id, now=now).sale


def balance_of(account_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Account, account_id).balance


def own_points(member) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Account.balance).where(Account.member_id == member.id,
                                                           Account.kind == "points"))


def test_a_full_refund_takes_back_the_points_the_member_moved_into_a_new_family(world):
    ming = new_member("13900000001")
    sale = fill(ming, 400, "T1")
    home = family.create(ming, "我家", now=WEDNESDAY)
    db.session.commit()
    pool = members.account_of(ming, "points").id
    assert (own_points(ming), balance_of(pool)) == (0, 400)

    refund, _ = refunds.refund(sale.id, "R1", now=LATER)
    assert refund.points_reversed == 400
    assert (own_points(ming), balance_of(pool)) == (0, 0)
    assert home.id and invariants.check(db.session) == []


def test_points_moved_into_a_family_are_clawed_back_from_the_pool_even_after_leaving(world):
    owner, wife = new_member("13900000001"), new_member("13900000002")
    fill(owner, 100, "T1")
    sale = fill(wife, 400, "T2")
    home = family.create(owner, "我家", now=WEDNESDAY)
    family.invite(home, owner, wife.phone, now=WEDNESDAY)
    family.join(wife, home, now=WEDNESDAY)
    family.leave(wife)
    db.session.commit()
    pool = members.account_of(owner, "points").id
    assert balance_of(pool) == 500  # 100 + 400

    refund, _ = refunds.refund(sale.id, "R1", now=LATER)
    assert refund.points_reversed == 400
    # The owner's own 100 stay; the wife's account, never holding them again, is untouched.
    assert (balance_of(pool), own_points(wife)) == (100, 0)
    assert invariants.check(db.session) == []


def test_partial_refunds_follow_the_points_into_the_pool_in_proportion(world):
    ming = new_member("13900000001")
    sale = fill(ming, 400, "T1")  # 400 L × 765 = 306000 fen, 400 points
    family.create(ming, "我家", now=WEDNESDAY)
    db.session.commit()
    pool = members.account_of(ming, "points").id

    half, _ = refunds.refund(sale.id, "R1", 153000, now=LATER)
    assert half.points_reversed == 200  # floor(400 × 153000 / 306000)
    assert balance_of(pool) == 200
    assert invariants.check(db.session) == []
    quarter, _ = refunds.refund(sale.id, "R2", 76500, now=LATER)
    assert quarter.points_reversed == 100  # floor(400 × 229500 / 306000) - 200
    rest, _ = refunds.refund(sale.id, "R3", now=LATER)
    assert rest.points_reversed == 100
    assert balance_of(pool) == 0
    assert invariants.check(db.session) == []


def test_when_the_pool_spent_the_points_the_claw_back_takes_what_the_pool_has_and_writes_off_the_rest(world):
    owner, wife = new_member("13900000001"), new_member("13900000002")
    fill(owner, 100, "T1", now=OCTOBER)   # lot A: 100, expires end of October 2028
    sale = fill(wife, 400, "T2")          # lot W: 400, expires end of November 2028
    home = family.create(owner, "我家", now=WEDNESDAY)
    family.invite(home, owner, wife.phone, now=WEDNESDAY)
    family.join(wife, home, now=WEDNESDAY)
    fill(owner, 150, "T3", now=LATER)     # lot B: 150, in the pool, same expiry as W, made after it
    pool_account = members.account_of(owner, "points")
    pool = pool_account.id
    # Soonest expiry first: all of A (100), then 200 of W.
    points.spend(pool_account, 300, key="redeem:1", cause_type="redemption", now=LATER)
    db.session.commit()
    assert balance_of(pool) == 350  # 100 + 400 + 150 - 300

    refund, _ = refunds.refund(sale.id, "R1", now=LATER)
    # Wanted 400: W's 200 left, then B's 150 (the pool's other points); 50 are written off.
    assert refund.points_reversed == 350
    assert balance_of(pool) == 0
    assert invariants.check(db.session) == []


def test_a_refund_through_the_station_api_follows_the_points_into_the_pool(world, client):
    from api.pos_helpers import Pos, fuel

    from loyalty.people.station_credentials import rotate_secret
    from loyalty.till import member_codes
    pos = Pos(client, "S001", rotate_secret("S001"))
    ming = new_member("13900000001")
    # The API's clock pinned off member day (Tuesday doubles points), no earlier than now.
    at = client.application.config["PINNED_NOW"] = on_weekday(datetime.now(timezone.utc), member_day=False)
    code = member_codes.issue(ming, "wechat", now=at).code
    db.session.commit()
    made = pos.post("/sales", {"pos_txn_no": "T1", "member_code": code, "lines": [fuel("100.00")]})
    assert made.status_code == 201, made.get_json()
    sale = made.get_json()["sale"]
    assert sale["points_earned"] == 100  # 100 L of 92# at 1 point a litre
    family.create(members.find_by_phone("13900000001"), "我家")
    db.session.commit()

    response = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R1"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["refund"]["points_reversed"] == sale["points_earned"]
    db.session.expire_all()
    assert members.account_of(members.find_by_phone("13900000001"), "points").balance == 0
    assert invariants.check(db.session) == []

