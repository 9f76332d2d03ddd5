"""积分, 余额: through the real webhook, with data made by the real loyalty paths, against
texts worked out by hand. Times: UTC in, Asia/Shanghai (UTC+8) shown."""
from datetime import datetime, timezone

import pytest

from extensions import db
from loyalty import demo
from loyalty.benefits import family
from loyalty.books import stored_value
from loyalty.people.members import account_of
from tests.factories import fuel_sale, give_points, make_member, spend_points


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def app_config(app_config):
    # Points live 600 months (50 years), so lots made at fixed 2026 dates are still live
    # whenever the suite runs, and their expiry day is worked out by hand below.
    app_config.update(LOYALTY_POINTS_EXPIRY_MONTHS=600)
    return app_config


@pytest.fixture
def seeded(app):
    demo.seed()


def test_points_show_the_balance_what_expires_first_and_the_last_three_movements(wechat, seeded):
    member = make_member("13800000001", openid="o_pts")
    fuel_sale(member, "30.00", at=utc(2026, 1, 15, 2, 0))  # Thu: 92# 1/L -> 30, expires end of 2076-01
    fuel_sale(member, "20.00", at=utc(2026, 2, 5, 1, 0))  # Thu: 20, expires end of 2076-02 (a leap year)
    fuel_sale(member, "50.00", grade="95", unit_price_fen=818, at=utc(2026, 3, 12, 6, 30))  # Thu: 50
    spend_points(member, 10, at=utc(2026, 3, 20, 10, 0))  # from the soonest lot: January's 30 -> 20
    # 30 + 20 + 50 - 10 = 90
    expected = ("我的积分：90 分\n"
                "即将过期：20 分，2076-01-31 到期\n"
                "最近变动：\n"
                "· 03-20 18:00 抵扣 -10\n"
                "· 03-12 14:30 获得 +50\n"
                "· 02-05 09:00 获得 +20")
    assert wechat.say("o_pts", "积分") == expected
    assert wechat.say("o_pts", "我的积分") == expected
    assert wechat.click("o_pts", "MY_POINTS")["Content"] == expected


def test_a_family_member_sees_the_pool_and_who_put_what_in(wechat, seeded):
    owner = make_member("13800000011", openid="o_owner")
    give_points(owner, 30, at=utc(2026, 1, 15, 2, 0))
    pool = family.create(owner, "王家", now=utc(2026, 2, 1, 0, 0))  # the owner's 30 move in
    family.invite(pool, owner, "13800000012", now=utc(2026, 2, 1, 0, 0))
    kid = make_member("13800000012", openid="o_kid")
    family.join(kid, pool, now=utc(2026, 2, 2, 0, 0))  # brings nothing
    db.session.commit()
    fuel_sale(kid, "20.00", at=utc(2026, 2, 5, 1, 0))  # 20 into the pool
    assert wechat.say("o_kid", "积分") == (
        "家庭积分池「王家」：50 分\n"
        "即将过期：30 分，2076-01-31 到期\n"  # the owner's January lot keeps its expiry in the pool
        "成员积分贡献：\n"
        "· 138****0011（创建人）：30 分\n"
        "· 138****0012：20 分\n"
        "最近变动：\n"
        "· 02-05 09:00 获得 +20（138****0012）\n"
        "· 02-01 08:00 家庭积分池转移 +30")


def test_a_new_member_has_no_points_yet(wechat, seeded):
    make_member("13800000002", openid="o_new")
    assert wechat.say("o_new", "积分") == "我的积分：0 分\n还没有积分变动，加油消费即可获得积分。"


def test_balance_shows_principal_and_bonus_and_the_last_three_movements(wechat, seeded):
    member = make_member("13800000003", openid="o_bal")
    # 充1000送50 (demo rule): 100000 fen principal + 5000 bonus.
    stored_value.topup(account_of(member, "stored_value"), 100000, key="t:topup", now=utc(2026, 1, 10, 2, 0))
    db.session.commit()
    # 30 L x 7.65 = 229.50 paid from balance, principal first: 1000.00 - 229.50 = 770.50.
    # (Paid directly: a sale's payment entry is stamped with the wall clock, not the sale's `now`.)
    stored_value.pay(account_of(member, "stored_value"), 22950, key="t:pay", cause_type="sale",
                     now=utc(2026, 1, 15, 2, 0))
    db.session.commit()
    expected = ("储值余额：820.50 元\n"  # 770.50 + 50.00
                "· 本金 770.50 元\n"
                "· 赠送 50.00 元\n"
                "最近变动：\n"
                "· 01-15 10:00 支付 -229.50 元\n"
                "· 01-10 10:00 充值赠送 +50.00 元\n"
                "· 01-10 10:00 充值 +1000.00 元")
    assert wechat.say("o_bal", "余额") == expected
    assert wechat.say("o_bal", "储值") == expected
    assert wechat.click("o_bal", "MY_BALANCE")["Content"] == expected
