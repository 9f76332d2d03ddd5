"""等级, 优惠券, 记录: through the real webhook, against texts worked out by hand."""
from datetime import datetime, timedelta, timezone

import pytest

from extensions import db
from loyalty import demo
from loyalty.benefits import coupons
from loyalty.policy import BUSINESS_TZ
from models import Coupon, CouponTemplate
from tests.factories import fuel_sale, make_member


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def shanghai_midnight(y, m, d) -> datetime:
    return datetime(y, m, d, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)


@pytest.fixture
def app_config(app_config):
    app_config.update(PUBLIC_BASE_URL="https://m.youka.test/")
    return app_config


@pytest.fixture
def seeded(app):
    demo.seed()


def test_tier_shows_privileges_and_the_litres_to_the_next_tier(wechat, seeded):
    member = make_member("13800000021", openid="o_tier")
    # 1200 L yesterday: past 银卡's 1000 L; 金卡 needs 3000 L, so 3000 - 1200 = 1800 L more.
    fuel_sale(member, "1200.00", at=datetime.now(timezone.utc) - timedelta(days=1))
    expected = ("会员等级：银卡\n"
                "等级权益：\n"
                "· 加油每升优惠 0.05 元\n"  # 银卡: 5 fen a litre
                "· 每升直降0.05元；生日当天积分翻倍\n"
                "再加油 1800 升即可升级金卡")
    assert wechat.say("o_tier", "等级") == expected
    assert wechat.say("o_tier", "会员等级") == expected
    assert wechat.click("o_tier", "MY_TIER")["Content"] == expected


def test_a_gold_member_sees_the_points_multiplier(wechat, seeded):
    make_member("13800000022", openid="o_gold", tier_code="gold")
    assert wechat.say("o_gold", "等级") == (
        "会员等级：金卡\n"
        "等级权益：\n"
        "· 加油每升优惠 0.10 元\n"
        "· 积分 1.5 倍\n"
        "· 每升直降0.10元；积分1.5倍；每月免费洗车1次\n"
        "再加油 6000 升即可升级钻石")  # no litres yet; 钻石 at 6000 L


def test_coupons_list_the_usable_ones_soonest_to_expire_first(wechat, seeded):
    member = make_member("13800000023", openid="o_cpn")
    db.session.add_all([
        CouponTemplate(code="T_WASH", name="洗车券", kind="free_item", item_category="car_wash",
                       valid_from=shanghai_midnight(2026, 1, 1), valid_until=shanghai_midnight(2076, 1, 1)),
        CouponTemplate(code="T_FUEL", name="加油券", kind="amount_off", amount_fen=1000,
                       valid_from=shanghai_midnight(2026, 1, 1), valid_until=shanghai_midnight(2070, 7, 1)),
    ])
    db.session.commit()
    at = utc(2025, 12, 20, 0, 0)
    coupons.issue(member, "T_WASH", key="t:wash", now=at)
    coupons.issue(member, "T_FUEL", key="t:fuel", now=at)
    void = coupons.issue(member, "T_FUEL", key="t:fuel2", now=at)
    db.session.get(Coupon, void.id).status = "void"  # not usable: not listed
    db.session.commit()
    expected = ("可用优惠券（2 张，先到期的在前）：\n"
                # Windows end at Shanghai midnight, exclusive: the last day is the day before.
                "· 加油券：2026-01-01 至 2070-06-30\n"
                "· 洗车券：2026-01-01 至 2075-12-31\n"
                "加油时告诉收银员使用即可。")
    assert wechat.say("o_cpn", "优惠券") == expected
    assert wechat.say("o_cpn", "我的券") == expected
    assert wechat.click("o_cpn", "MY_COUPONS")["Content"] == expected


def test_no_coupons(wechat, seeded):
    make_member("13800000024", openid="o_nocpn")
    assert wechat.say("o_nocpn", "优惠券") == "您暂时没有可用的优惠券。"


def test_records_show_the_last_five_sales_and_the_full_list_link(wechat, seeded):
    member = make_member("13800000025", openid="o_rec")
    for day in range(5, 11):  # 2026-01-05 .. 01-10, 10:00 Shanghai, 10 L of 92# = 76.50
        fuel_sale(member, "10.00", at=utc(2026, 1, day, 2, 0))
    fuel_sale(None, "10.00", at=utc(2026, 1, 11, 2, 0))  # a walk-in sale: nobody's record
    expected = ("最近 5 笔消费：\n"
                "· 01-10 10:00 城东加油站 92# 10.00 升 实付 76.50 元，积分 +10\n"
                "· 01-09 10:00 城东加油站 92# 10.00 升 实付 76.50 元，积分 +10\n"
                "· 01-08 10:00 城东加油站 92# 10.00 升 实付 76.50 元，积分 +10\n"
                "· 01-07 10:00 城东加油站 92# 10.00 升 实付 76.50 元，积分 +10\n"
                # Tuesday 2026-01-06 is member day (周二会员日 2倍): 10 x 2 = 20.
                "· 01-06 10:00 城东加油站 92# 10.00 升 实付 76.50 元，积分 +20\n"
                "全部记录：https://m.youka.test/m/records")
    assert wechat.say("o_rec", "记录") == expected
    assert wechat.say("o_rec", "消费记录") == expected
    assert wechat.click("o_rec", "HISTORY")["Content"] == expected
