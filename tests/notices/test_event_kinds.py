"""The event-caused kinds are written in their cause's transaction: balance_low when a
payment crosses the threshold (once, not at every payment below it), tier_up at an
upgrade, tier_down at the review (set-based, once per day), coupon_issued."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from extensions import db
from loyalty import demo
from loyalty.benefits import coupons, tiers
from loyalty.people import members
from loyalty.till import topups
from models import Member, Outbox, Tier
from tests.factories import fuel_sale, make_member

MONDAY = datetime(2027, 1, 4, 2, 0, tzinfo=timezone.utc)  # 10:00 Shanghai, not member day


@pytest.fixture
def shop(app):
    demo.seed()
    return app


def rows(kind: str) -> list[tuple[int, dict]]:
    db.session.expire_all()
    return [(r.member_id, json.loads(r.payload)) for r in
            db.session.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id))]


def wallet(member) -> int:
    db.session.expire_all()
    return members.account_of(member, "stored_value").balance


def test_balance_low_when_a_payment_crosses_the_threshold_and_only_then(shop):
    ming = make_member("13800000001", openid="o-ming")
    topups.topup_member("S001", ming, "TP1", 40000, "wechat", now=MONDAY)
    before = wallet(ming)
    assert before >= 5000 + 7650  # the first sale leaves it above the threshold (50.00)
    fuel_sale(ming, "10.00", at=MONDAY, txn="T1", pay_with="balance")       # 76.50
    assert rows("balance_low") == []
    # Sales of 76.50 until one takes it below 50.00: exactly that one writes the notice.
    n = 2
    while wallet(ming) >= 5000:
        above = wallet(ming)
        fuel_sale(ming, "10.00", at=MONDAY + timedelta(minutes=n), txn=f"T{n}", pay_with="balance")
        n += 1
    assert rows("balance_low") == [(ming.id, {"balance_fen": above - 7650, "threshold_fen": 5000,
                                              "sale_id": rows("balance_low")[0][1]["sale_id"]})]
    fuel_sale(ming, "1.00", at=MONDAY + timedelta(minutes=n), txn="T-below", pay_with="balance")
    assert len(rows("balance_low")) == 1  # still below: no second notice


def test_a_threshold_from_configuration(shop, app):
    ming = make_member("13800000001", openid="o-ming")
    topups.topup_member("S001", ming, "TP1", 40000, "wechat", now=MONDAY)
    before = wallet(ming)
    app.config["LOYALTY_LOW_BALANCE_THRESHOLD_FEN"] = before - 100  # a 7.65 payment crosses it
    fuel_sale(ming, "1.00", at=MONDAY, txn="T1", pay_with="balance")
    assert [p["threshold_fen"] for _, p in rows("balance_low")] == [before - 100]


def test_an_upgrade_at_a_sale_writes_tier_up(shop):
    ming = make_member("13800000001", openid="o-ming")
    fuel_sale(ming, "1000.00", at=MONDAY, txn="BIG")  # 1,000 litres: 银卡
    assert rows("tier_up") == [(ming.id, {"tier": "银卡", "previous": "普通"})]


def test_the_review_writes_tier_down_once_per_day(shop):
    ming = make_member("13800000001", openid="o-ming")
    silver = db.session.scalar(select(Tier).where(Tier.code == "silver"))
    member = db.session.get(Member, ming.id)
    member.tier_id, member.tier_since, member.trial_until = silver.id, MONDAY - timedelta(days=90), None
    db.session.commit()
    assert tiers.review(MONDAY)["downgraded"] == 1
    db.session.commit()
    assert rows("tier_down") == [(ming.id, {"tier": "普通", "previous": "银卡"})]
    tiers.review(MONDAY + timedelta(hours=1))
    db.session.commit()
    assert len(rows("tier_down")) == 1


def test_an_issued_coupon_writes_its_notice_once(shop):
    ming = make_member("13800000001", openid="o-ming")
    coupon = coupons.issue(ming, "FULL200_20", key="grant-1", source="manual", now=MONDAY)
    coupons.issue(ming, "FULL200_20", key="grant-1", source="manual", now=MONDAY)  # a retry
    db.session.commit()
    [(member_id, payload)] = rows("coupon_issued")
    assert member_id == ming.id and payload["coupon_id"] == coupon.id and payload["title"] == "满200减20"
    coupons.issue(ming, "FULL200_20", key="bday-1", source="birthday", now=MONDAY)  # the birthday notice says it
    db.session.commit()
    assert len(rows("coupon_issued")) == 1
