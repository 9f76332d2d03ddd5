"""The daily triggers: each enters the members it names, once per campaign (or once per
cooldown, in the same arm), as the scheduled job; the holdout gets no coupon, no points
and no notice; a paused or stopped campaign enters nobody."""
from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select, text

from extensions import db
from jobs import campaigns as campaign_jobs
from loyalty import demo
from loyalty.campaigns import lifecycle
from models import CampaignMember, Coupon, Member, Outbox
from tests.campaigns.world import REASON, arms_of, campaign, days, launch, segment
from tests.factories import fuel_sale, give_points, make_member
from tests.reminders.world import on, shanghai


def member(phone: str, *visits: str, **fields) -> Member:
    m = make_member(phone, consent=True, **fields)
    for n, day in enumerate(visits):
        fuel_sale(m, "30", at=shanghai(day, "09:30"), txn=f"{phone}-{n}")
    return m


def trigger_campaign(trigger: dict, *, holdout: str = "0", **form):
    segment("ALL", [])
    return campaign(schedule="trigger", trigger=trigger, holdout_pct=holdout,
                    arms=[{"code": "A", "weight": 1, "coupon": "RECALL", "message": "好久不见"}], **form)


def entered() -> dict[int, int]:
    """member id -> entries."""
    db.session.expire_all()
    return dict(db.session.execute(select(CampaignMember.member_id, CampaignMember.entries)).all())


def notices() -> list[tuple[int, str, dict]]:
    db.session.expire_all()
    return [(m, k, json.loads(p)) for m, k, p in db.session.execute(
        select(Outbox.member_id, Outbox.dedup_key, Outbox.payload).where(Outbox.kind == "campaign")
        .order_by(Outbox.id)).all()]


def test_no_visit_for_n_days_enters_on_the_nth_day_and_once(any_app):
    demo.seed()
    gone = member("13900000001", "2026-10-01")
    recent = member("13900000002", "2026-10-10")
    trigger_campaign({"filter": "no_visit", "days": "14"})
    launch(now=shanghai("2026-10-14"))  # gone: 13 days, recent: 4
    assert entered() == {}
    assert on("2026-10-15", campaign_jobs.triggers) == {"C1": {"entered": 1, "fresh": 1, "notices": 1, "points": 0}}
    assert entered() == {gone.id: 1}
    on("2026-10-16", campaign_jobs.triggers)
    on("2026-10-23", campaign_jobs.triggers)  # recent: 13 days
    assert entered() == {gone.id: 1}
    on("2026-10-24", campaign_jobs.triggers)
    assert entered() == {gone.id: 1, recent.id: 1}
    for day in ("2026-10-24", "2026-11-30"):  # a rerun the same day, and much later: nothing more
        on(day, campaign_jobs.triggers)
    assert entered() == {gone.id: 1, recent.id: 1}
    rows = notices()
    assert [(m, k) for m, k, _ in rows] == [(gone.id, f"campaign:1:{gone.id}:2026-10-15"),
                                           (recent.id, f"campaign:1:{recent.id}:2026-10-24")]
    coupon = db.session.scalars(select(Coupon).where(Coupon.member_id == gone.id)).one()
    assert rows[0][2] == {"arm_id": lifecycle.get("C1").arms[1].id, "campaign_id": 1, "coupon_id": coupon.id,
                          "points": 0}
    assert (coupon.source, coupon.issue_key, coupon.template.code) == ("campaign", rows[0][1], "RECALL")


def test_a_cooldown_lets_a_member_in_again_in_the_same_arm(any_app):
    demo.seed()
    gone = member("13900000001", "2026-09-01")
    trigger_campaign({"filter": "no_visit", "days": "14"}, cooldown_days="30", holdout="50")
    launch(now=shanghai("2026-10-01"))
    arm = arms_of("C1")[gone.id]
    on("2026-10-30", campaign_jobs.triggers)  # 29 days after the entry
    assert entered() == {gone.id: 1}
    on("2026-10-31", campaign_jobs.triggers)
    assert entered() == {gone.id: 2} and arms_of("C1") == {gone.id: arm}
    first = db.session.scalars(select(CampaignMember)).one()
    from loyalty.books.ledger import as_utc
    assert (as_utc(first.entered_at), as_utc(first.window_ends_at)) == (shanghai("2026-10-01"), shanghai("2026-10-15"))
    assert as_utc(first.last_entered_at) == shanghai("2026-10-31")
    assert len(notices()) == (2 if arm == "A" else 0)


def test_twice_the_usual_interval(any_app):
    demo.seed()
    regular = member("13900000001", "2026-10-01", "2026-10-11", "2026-10-21", "2026-10-31")  # median 10
    trigger_campaign({"filter": "usual_interval", "factor": "2"})
    launch(now=shanghai("2026-11-20"))  # 20 days: not more than twice
    assert entered() == {}
    on("2026-11-21", campaign_jobs.triggers)
    assert entered() == {regular.id: 1}


def test_birthday_this_month(any_app):
    demo.seed()
    may = member("13900000001", birthday=date(1990, 5, 31))
    member("13900000002", birthday=date(1990, 6, 1))
    member("13900000003")
    trigger_campaign({"filter": "birthday_month"})
    launch(now=shanghai("2026-05-01"))
    assert entered() == {may.id: 1}


def test_tier_at_risk_of_downgrade_at_the_next_review(any_app):
    demo.seed()
    silver = db.session.scalar(text("SELECT id FROM tiers WHERE code = 'silver'"))
    today = date(2026, 11, 2)
    fading, safe, short = (member(f"1390000000{n}") for n in (1, 2, 3))
    member("13900000004")  # the lowest tier: nothing to lose
    for m, ago, ml in ((fading, 340, 1_200_000), (safe, 100, 1_200_000), (short, 10, 900_000)):
        db.session.execute(text("UPDATE members SET tier_id = :t WHERE id = :m"), {"t": silver, "m": m.id})
        db.session.execute(text("""INSERT INTO member_daily_totals
                                       (member_id, day, litres_ml, amount_fen, visits, points)
                                   VALUES (:m, :d, :ml, 0, 1, 0)"""), {"m": m.id, "d": today - timedelta(days=ago),
                                                                     "ml": ml})
    db.session.commit()
    # 1,000 L over 365 days; in 30 days the window starts 335 days ago: fading's 1,200 L drop out.
    trigger_campaign({"filter": "tier_at_risk", "lead_days": "30"})
    launch(now=shanghai(today.isoformat()))
    assert set(entered()) == {fading.id, short.id}


def test_points_expiring_and_enough_for_a_reward(any_app):
    demo.seed()
    rich, poor, later = (member(f"1390000000{n}") for n in (1, 2, 3))
    # Points earned in October 2024 expire at the start of November 2026 (24 months after the month's end).
    give_points(rich, 500, shanghai("2024-10-15"))
    give_points(poor, 499, shanghai("2024-10-15"))
    give_points(later, 900, shanghai("2024-12-15"))  # expires 2027-01-01: not within 30 days
    trigger_campaign({"filter": "points_expiring", "days": "30", "min_points": "500"})
    launch(now=shanghai("2026-10-10"))
    assert set(entered()) == {rich.id}


def test_the_holdout_gets_nothing_and_points_reach_the_books(any_app):
    demo.seed()
    people = [member(f"139000001{n:02d}", "2026-09-01") for n in range(30)]
    segment("ALL", [])
    campaign(holdout_pct="40", arms=[{"code": "P", "weight": 1, "points": "88", "message": "送您积分"}])
    counts = launch(now=shanghai("2026-10-01"))
    arms = arms_of("C1")
    treated = {m for m, a in arms.items() if a == "P"}
    held = {m for m, a in arms.items() if a == "holdout"}
    assert treated and held and counts["points"] == len(treated) == counts["notices"]
    assert {m for m, _, _ in notices()} == treated
    balances = dict(db.session.execute(text(
        "SELECT member_id, balance FROM accounts WHERE kind = 'points' AND member_id IS NOT NULL")).all())
    assert all(balances[m.id] == (88 if m.id in treated else 0) + _earned(m.id) for m in people)
    lots = db.session.execute(text("SELECT count(*) FROM point_lots WHERE amount = 88")).scalar()
    assert lots == len(treated)
    from loyalty.books import invariants
    assert invariants.check(db.session) == []


def _earned(member_id: int) -> int:
    return int(db.session.execute(text("""SELECT COALESCE(SUM(points_earned), 0) FROM sales WHERE member_id = :m"""),
                                  {"m": member_id}).scalar())


def test_paused_and_stopped_campaigns_enter_nobody(any_app):
    demo.seed()
    trigger_campaign({"filter": "no_visit", "days": "14"})
    launch(now=shanghai("2026-10-01"))
    lifecycle.move("C1", "pause", staff=None, reason=REASON, now=shanghai("2026-10-01"))
    member("13900000001", "2026-09-01")
    assert on("2026-10-02", campaign_jobs.triggers) == {}
    lifecycle.move("C1", "stop", staff=None, reason=REASON, now=shanghai("2026-10-02"))
    assert on("2026-10-03", campaign_jobs.triggers) == {} and entered() == {}
