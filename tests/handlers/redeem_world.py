"""The shop the chat's 兑换 tests redeem from: stations, a catalogue of each kind, a
member with points, and what the tests count (used by test_redeem*_chat.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants, points
from loyalty.people.members import account_of
from models import CouponTemplate, LedgerEntry, RewardItem, Station
from tests.factories import give_points, make_member

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 2026-03-02 10:00 in Shanghai


@pytest.fixture
def app_config(app_config):
    app_config.update(PINNED_NOW=NOW)
    return app_config


@pytest.fixture
def shop(app):
    """Stations to pick gifts up at and a catalogue in display order (sort_order)."""
    db.session.add_all([Station(code="S1", name="人民路站"), Station(code="S2", name="滨江站"),
                        Station(code="S9", name="已关闭站", active=False),
                        CouponTemplate(code="WASH", name="洗车券", kind="amount_off", amount_fen=2000,
                                       valid_days=7)])
    db.session.flush()
    items = {
        "WASHC": RewardItem(code="WASHC", name="洗车券", kind="coupon", points_price=300, stock=None,
                            coupon_template_code="WASH", sort_order=1),
        "CUP": RewardItem(code="CUP", name="保温杯", kind="gift", points_price=500, stock=2,
                          per_member_limit=1, sort_order=2),
        "TREE": RewardItem(code="TREE", name="种一棵树", kind="donation", points_price=100, stock=None,
                           sort_order=3),
        "OLD": RewardItem(code="OLD", name="下架商品", kind="gift", points_price=10, stock=5, active=False),
        "GONE": RewardItem(code="GONE", name="已兑完", kind="gift", points_price=10, stock=0),
    }
    db.session.add_all(items.values())
    db.session.commit()
    return items


def member_with(points_: int, openid: str = "o-shop", phone: str = "13800000001"):
    member = make_member(phone, openid=openid)
    give_points(member, points_, NOW - timedelta(days=1))
    return member


def balance(member) -> int:
    db.session.expire_all()
    return points.spendable(account_of(member, "points"), NOW)


def spends() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "spend"))


def stock(code: str):
    db.session.expire_all()
    return db.session.scalar(select(RewardItem.stock).where(RewardItem.code == code))


def assert_books_clean(runner):
    assert invariants.check(db.session) == []
    result = runner.invoke(args=["loyalty", "check"])
    assert result.exit_code == 0, result.output
