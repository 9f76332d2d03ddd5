"""The demo world of `make run` (loyalty.demo.seed_all): the catalogue, the staff logins and
six months of generated history — deterministic, consistent with the ledger's invariants,
and shaped by habits (a fleet truck ends diamond, dormant members stopped coming)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from extensions import db
from loyalty import demo
from loyalty.books import invariants
from loyalty.people import staff
from models import CheckIn, CouponTemplate, LedgerEntry, Member, Outbox, RewardItem, Sale, Tier, WeChatBinding
from tests.conftest import empty_tables

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=timezone.utc)


def shape() -> list[tuple]:
    """Per generated member: phone, sales, litres, points earned, tier."""
    rows = db.session.execute(
        select(Member.phone, func.count(Sale.id), func.coalesce(func.sum(Sale.litres_ml), 0),
               func.coalesce(func.sum(Sale.points_earned), 0), Tier.name)
        .join(WeChatBinding, WeChatBinding.member_id == Member.id).outerjoin(Sale, Sale.member_id == Member.id)
        .outerjoin(Tier, Tier.id == Member.tier_id).group_by(Member.phone, Tier.name).order_by(Member.phone))
    return [tuple(r) for r in rows]


def test_the_history_is_the_same_every_run_and_keeps_the_ledger_whole(app):
    from loyalty import demo_history
    demo.seed_all(members=0)
    counts = demo_history.generate(members=20, now=NOW)
    first = shape()
    assert counts["members"] == 20 and counts["sale"] > 200 and counts["checkin"] > 0
    assert invariants.check(db.session) == []
    # Every sale's points are its earn entry's, under the key sales.write uses.
    for sale in db.session.scalars(select(Sale).where(Sale.points_earned > 0)):
        entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == f"sale:{sale.id}:earn")).one()
        assert (entry.amount, entry.cause_type, entry.cause_ref) == (sale.points_earned, "sale", str(sale.id))
    assert db.session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))) == 0

    empty_tables(app)
    demo.seed_all(members=0)
    demo_history.generate(members=20, now=NOW)
    assert shape() == first


def test_habits_show_in_tiers_recency_and_check_in_streaks(app):
    from loyalty import demo_history
    demo.seed_all(members=0)
    demo_history.generate(members=20, now=NOW)
    tier_of = dict(db.session.execute(select(WeChatBinding.openid, Tier.name)
                                      .join(Member, Member.id == WeChatBinding.member_id)
                                      .join(Tier, Tier.id == Member.tier_id)).all())
    assert tier_of["o-demo-001"] == "钻石"  # the fleet truck: about 8 000 L of diesel in six months
    assert set(tier_of.values()) >= {"钻石", "普通"}
    last_visit = dict(db.session.execute(select(WeChatBinding.openid, func.max(Sale.created_at))
                                         .join(Sale, Sale.member_id == WeChatBinding.member_id)
                                         .group_by(WeChatBinding.openid)).all())
    # The last three of 20 are the dormant ones: nothing for 60 days and more.
    for openid in ("o-demo-018", "o-demo-019", "o-demo-020"):
        assert NOW - last_visit[openid].replace(tzinfo=timezone.utc) >= timedelta(days=60), openid
    assert NOW - last_visit["o-demo-001"].replace(tzinfo=timezone.utc) < timedelta(days=6)
    rows = db.session.execute(select(CheckIn.member_id, CheckIn.day, CheckIn.streak)
                              .order_by(CheckIn.member_id, CheckIn.day)).all()
    assert rows
    for before, after in zip(rows, rows[1:]):
        if after.member_id == before.member_id:
            follows = after.day == before.day + timedelta(days=1)
            assert after.streak == (before.streak + 1 if follows else 1)


def test_the_catalogue_and_the_logins_of_make_run(app):
    made = demo.seed_all(members=0)
    assert made["staff"] == list(demo.DEMO_STAFF)
    assert db.session.scalar(select(func.count()).select_from(RewardItem)) == 10
    assert db.session.scalar(select(func.count()).select_from(CouponTemplate)) == 5
    for username, (role, station, _name) in demo.DEMO_STAFF.items():
        login = staff.authenticate(username, demo.DEMO_PASSWORD)
        assert login is not None and login.role == role, username
        assert (staff.station_of(login).code if station else None) == station
    assert staff.authenticate("cashier1", "wrong-password") is None
    assert demo.seed_all(members=0) == {"seeded": False}


def test_a_demo_password_is_changed_with_flask_staff_password(app, runner):
    demo.seed_all(members=0)
    result = runner.invoke(args=["staff", "password", "--username", "cashier2", "--password", "new-pass-2026"])
    assert result.exit_code == 0, result.output
    assert staff.authenticate("cashier2", demo.DEMO_PASSWORD) is None
    assert staff.authenticate("cashier2", "new-pass-2026") is not None
    short = runner.invoke(args=["staff", "password", "--username", "cashier2", "--password", "x"])
    assert short.exit_code != 0 and "密码至少" in short.output
