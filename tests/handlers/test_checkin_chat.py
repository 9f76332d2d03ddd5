"""签到 through the webhook: the reply's points, streak and next bonus; once a day,
whatever WeChat re-delivers or the member taps twice."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants, points
from loyalty.people.members import account_of
from models import CheckIn
from tests.factories import make_member

# 2026-03-02 10:00 in Shanghai.
DAY1 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def app_config(app_config):
    # 10 points a day, +50 on every 3rd consecutive day.
    app_config.update(PINNED_NOW=DAY1, LOYALTY_CHECKIN_POINTS=10, LOYALTY_CHECKIN_STREAK_DAYS=3,
                      LOYALTY_CHECKIN_STREAK_BONUS=50)
    return app_config


def balance(member) -> int:
    return points.spendable(account_of(member, "points"), DAY1 + timedelta(days=30))


def test_three_days_in_a_row_earn_the_streak_bonus_on_the_third(app, wechat, runner):
    member = make_member("13800000001", openid="o-daily")
    first = wechat.say("o-daily", "签到")
    assert "今天获得 10 积分" in first and "已连续签到 1 天" in first
    assert "再连续签到 2 天，可额外获得 50 积分" in first
    app.config["PINNED_NOW"] = DAY1 + timedelta(days=1)
    second = wechat.click("o-daily", "CHECKIN")["Content"]
    assert "已连续签到 2 天" in second and "明天继续签到，可额外获得 50 积分" in second
    app.config["PINNED_NOW"] = DAY1 + timedelta(days=2)
    third = wechat.say("o-daily", "签到")
    # 10 daily + 50 bonus = 60.
    assert "今天获得 60 积分（含连续签到奖励 50 积分）" in third and "已连续签到 3 天" in third
    assert "再连续签到 3 天，可额外获得 50 积分" in third
    db.session.expire_all()
    assert balance(member) == 80  # 10 + 10 + 60
    assert invariants.check(db.session) == []
    assert runner.invoke(args=["loyalty", "check"]).exit_code == 0


def test_a_redelivery_and_a_double_tap_check_in_once(app, wechat, runner):
    member = make_member("13800000001", openid="o-twice")
    first = wechat.say("o-twice", "签到", msg_id=770001)
    assert wechat.say("o-twice", "签到", msg_id=770001) == first  # WeChat's re-delivery
    again = wechat.say("o-twice", "签到", msg_id=770002)  # the member taps again
    assert "今天已经签到过了（今日获得 10 积分）" in again and "已连续签到 1 天" in again
    db.session.expire_all()
    assert balance(member) == 10
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    result = runner.invoke(args=["loyalty", "check"])
    assert result.exit_code == 0, result.output


def test_2359_and_0001_in_shanghai_are_two_check_ins(app, wechat):
    member = make_member("13800000001", openid="o-midnight")
    app.config["PINNED_NOW"] = datetime(2026, 3, 3, 15, 59, tzinfo=timezone.utc)  # 23:59 Shanghai
    assert "已连续签到 1 天" in wechat.say("o-midnight", "签到")
    app.config["PINNED_NOW"] = datetime(2026, 3, 3, 16, 1, tzinfo=timezone.utc)  # 00:01 the next day
    assert "已连续签到 2 天" in wechat.say("o-midnight", "签到")
    db.session.expire_all()
    assert balance(member) == 20


def test_an_unbound_member_is_asked_to_bind_first(app, wechat):
    assert "您还没有绑定手机号" in wechat.say("o-stranger", "签到")
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
