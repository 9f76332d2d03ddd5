"""Races on PostgreSQL: many threads, each its own app context, session and transaction."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import coupons, rewards
from loyalty.books import invariants, points
from loyalty.errors import LoyaltyError
from loyalty.people.members import account_of, create_member
from loyalty.policy import Policy
from models import Account, Coupon, CouponTemplate, LedgerEntry, Member, Redemption, RewardItem, Sale, Station

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def make_member(phone: str, points_: int = 0) -> int:
    member = create_member(phone)
    if points_:
        points.earn(account_of(member, "points"), points_, key=f"seed:{phone}", cause_type="adjustment",
                    now=NOW - timedelta(days=1), policy=Policy())
    return member.id


def race(app, n: int, attempt) -> list[str]:
    """Run attempt(i, member) in n threads released together; each commits its own work.
    Returns "ok" or the error code per thread."""
    db.session.commit()
    gate = threading.Barrier(n, timeout=30)

    def run(i: int) -> str:
        with app.app_context():
            try:
                gate.wait()
                attempt(i)
                db.session.commit()
                return "ok"
            except LoyaltyError as e:
                db.session.rollback()
                return e.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_one_coupon_two_tills_one_use(app):
    member_id = make_member("13800000001")
    station = Station(code="S1", name="一号站")
    db.session.add_all([station, CouponTemplate(code="MJ20", name="满200减20", kind="amount_off",
                                                amount_fen=2000, min_spend_fen=20000, valid_days=7)])
    db.session.flush()
    coupon_id = coupons.issue(db.session.get(Member, member_id), "MJ20", key="k1", now=NOW).id
    sale_ids = []
    for n in range(8):
        sale = Sale(station_id=station.id, pos_txn_no=f"T{n}", request_hash="h", member_id=member_id,
                    gross_fen=30600, discount_fen=0, payable_fen=30600)
        db.session.add(sale)
        db.session.flush()
        sale_ids.append(sale.id)

    outcomes = race(app, 8, lambda i: coupons.use([coupon_id], db.session.get(Member, member_id), sale_ids[i],
                                                   now=NOW))
    assert sorted(outcomes) == ["coupon_not_applicable"] * 7 + ["ok"]
    coupon = db.session.get(Coupon, coupon_id)
    assert coupon.status == "used" and coupon.used_sale_id == sale_ids[outcomes.index("ok")]


def test_twenty_members_racing_for_five_units_get_exactly_five(app):
    member_ids = [make_member(f"138000000{n:02d}", 1000) for n in range(20)]
    db.session.add(RewardItem(code="CUP", name="保温杯", kind="gift", points_price=300, stock=5))

    outcomes = race(app, 20, lambda i: rewards.redeem(db.session.get(Member, member_ids[i]), "CUP",
                                                      key=f"req-{i}", now=NOW))
    assert outcomes.count("ok") == 5 and outcomes.count("out_of_stock") == 15
    assert db.session.scalar(select(RewardItem.stock)) == 0
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 5
    balances = sorted(db.session.scalars(select(Account.balance).where(Account.kind == "points")))
    assert balances == [700] * 5 + [1000] * 15
    assert invariants.check(db.session) == []


def test_one_request_retried_in_parallel_redeems_once(app):
    member_id = make_member("13800000001", 1000)
    db.session.add(RewardItem(code="CUP", name="保温杯", kind="gift", points_price=300, stock=5))

    outcomes = race(app, 10, lambda i: rewards.redeem(db.session.get(Member, member_id), "CUP", key="req-1", now=NOW))
    assert outcomes == ["ok"] * 10
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "spend")) == 1
    assert db.session.scalar(select(Account.balance).where(Account.member_id == member_id,
                                                           Account.kind == "points")) == 700
    assert db.session.scalar(select(RewardItem.stock)) == 4


def test_the_per_member_limit_holds_under_parallel_requests(app):
    member_id = make_member("13800000001", 10_000)
    db.session.add(RewardItem(code="CUP", name="保温杯", kind="gift", points_price=100, stock=100,
                              per_member_limit=3))

    outcomes = race(app, 10, lambda i: rewards.redeem(db.session.get(Member, member_id), "CUP",
                                                      key=f"req-{i}", now=NOW))
    assert outcomes.count("ok") == 3 and outcomes.count("limit_reached") == 7
    assert db.session.scalar(select(RewardItem.stock)) == 97
    assert invariants.check(db.session) == []


def test_the_last_points_are_spent_once(app):
    member_id = make_member("13800000001", 1000)
    db.session.add(RewardItem(code="CUP", name="保温杯", kind="gift", points_price=400, stock=None))

    outcomes = race(app, 6, lambda i: rewards.redeem(db.session.get(Member, member_id), "CUP", key=f"req-{i}", now=NOW))
    assert outcomes.count("ok") == 2 and outcomes.count("insufficient_points") == 4
    assert db.session.scalar(select(Account.balance).where(Account.member_id == member_id,
                                                           Account.kind == "points")) == 200
