"""兑换 through the webhook: the numbered catalogue, 是/否, each kind's result, and
nothing spent twice or on a refusal (re-deliveries, double taps, stock, limits, family)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot import conversation
from extensions import db
from loyalty.benefits import family, rewards
from loyalty.books import invariants, points
from loyalty.people.members import account_of
from models import Coupon, CouponTemplate, LedgerEntry, Redemption, RewardItem, Station
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


def test_the_catalogue_lists_what_the_member_can_still_take_numbered(shop, wechat):
    member_with(1000)
    reply = wechat.say("o-shop", "兑换")
    assert "可用积分 1000" in reply
    lines = [line for line in reply.splitlines() if line[:1].isdigit()]
    assert lines == ["1. 洗车券　300 积分　不限量",
                     "2. 保温杯　500 积分　库存 2　您还可兑 1 件",
                     "3. 种一棵树　100 积分　不限量"]  # not the inactive item, not the sold-out one


def test_a_gift_gives_a_pickup_code_and_the_stations_and_costs_points_and_stock(shop, wechat, runner):
    member = member_with(1000)
    wechat.click("o-shop", "REDEEM")
    assert "确定用 500 积分兑换「保温杯」吗" in wechat.say("o-shop", "2")
    reply = wechat.say("o-shop", "是")
    r = db.session.scalars(select(Redemption)).one()
    assert f"提货码：{r.pickup_code}" in reply and "已扣除 500 积分" in reply
    assert "人民路站、滨江站" in reply and "已关闭站" not in reply
    assert (balance(member), stock("CUP")) == (500, 1)  # 1000 - 500; 2 - 1
    # The limit is 1: the cup is no longer offered to this member.
    assert "保温杯" not in wechat.say("o-shop", "兑换")
    assert_books_clean(runner)


def test_a_coupon_is_issued_with_its_name_and_last_day(shop, wechat, runner):
    member = member_with(1000)
    wechat.say("o-shop", "积分商城")
    wechat.say("o-shop", "1")
    reply = wechat.say("o-shop", "是")
    # Issued 2026-03-02; valid_days 7: through the end of 2026-03-09 in Shanghai.
    assert "优惠券「洗车券」已放入您的券包，有效期 2026-03-02 至 2026-03-09" in reply
    coupon = db.session.scalars(select(Coupon)).one()
    assert coupon.member_id == member.id
    assert balance(member) == 700  # 1000 - 300
    assert_books_clean(runner)


def test_a_donation_thanks_the_member(shop, wechat):
    member = member_with(1000)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "3")
    assert "感谢您通过「种一棵树」献出的爱心" in wechat.say("o-shop", "是")
    assert balance(member) == 900  # 1000 - 100


def test_a_redelivered_yes_and_a_double_tap_redeem_once(shop, wechat, runner):
    member = member_with(1000)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "2")
    first = wechat.say("o-shop", "是", msg_id=660001)
    assert wechat.say("o-shop", "是", msg_id=660001) == first  # WeChat's re-delivery
    assert "提货码" not in wechat.say("o-shop", "是", msg_id=660002)  # a double tap: the flow is over
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1
    assert (balance(member), stock("CUP"), spends()) == (500, 1, 1)
    assert_books_clean(runner)


def test_one_confirmation_is_one_redemption_even_if_the_flow_survived_it(shop, wechat, runner):
    # A crash after the commit but before the flow was cleared: the same 是 again meets
    # the key minted when this flow began, and answers the first redemption.
    member = member_with(1000)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "3")
    waiting = conversation.current("o-shop")
    first = wechat.say("o-shop", "是")
    conversation.save("o-shop", waiting, 300)
    assert wechat.say("o-shop", "是") == first
    assert (balance(member), spends()) == (900, 1)
    # A new 兑换 is a new flow with a new key: a second donation is a second redemption.
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "3")
    wechat.say("o-shop", "是")
    assert (balance(member), spends()) == (800, 2)  # 1000 - 100 - 100
    assert_books_clean(runner)


def test_not_enough_points_is_refused_and_nothing_is_spent(shop, wechat, runner):
    member = member_with(400)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "2")
    assert "积分不足：兑换需要 500 积分，您可用 400 积分。积分没有扣除。" in wechat.say("o-shop", "是")
    assert (balance(member), stock("CUP"), spends()) == (400, 2, 0)
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0
    assert_books_clean(runner)


def test_stock_gone_while_confirming_is_refused_and_nothing_is_spent(shop, wechat, runner):
    member = member_with(1000)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "2")
    # Meanwhile two other members take both cups.
    for n, phone in enumerate(("13800000002", "13800000003")):
        other = member_with(1000, openid=f"o-other-{n}", phone=phone)
        rewards.redeem(other, "CUP", key=f"h5:{other.id}:k{n}", now=NOW)
    db.session.commit()
    assert "该商品已兑完。积分没有扣除" in wechat.say("o-shop", "是")
    assert (balance(member), stock("CUP")) == (1000, 0)
    assert_books_clean(runner)


def test_the_limit_reached_elsewhere_is_refused_and_nothing_is_spent(shop, wechat, runner):
    member = member_with(1000)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "2")
    rewards.redeem(member, "CUP", key=f"h5:{member.id}:page", now=NOW)  # the H5 page, meanwhile
    db.session.commit()
    assert "该商品每人限兑 1 件，您已兑满。积分没有扣除" in wechat.say("o-shop", "是")
    assert (balance(member), stock("CUP"), spends()) == (500, 1, 1)  # only the H5 redemption
    assert_books_clean(runner)


def test_no_a_wrong_number_and_cancel_spend_nothing(shop, wechat):
    member = member_with(1000)
    wechat.say("o-shop", "兑换")
    assert "请回复商品前面的序号" in wechat.say("o-shop", "7")
    assert "请回复商品前面的序号" in wechat.say("o-shop", "保温杯")
    wechat.say("o-shop", "1")
    assert "请回复「是」确认兑换" in wechat.say("o-shop", "好的")
    assert "已取消兑换，积分没有变动" in wechat.say("o-shop", "否")
    wechat.say("o-shop", "兑换")
    assert "已取消" in wechat.say("o-shop", "取消")
    assert (balance(member), spends()) == (1000, 0)


def test_a_family_member_redeems_only_once_the_owner_allows(shop, wechat, runner):
    owner = member_with(1000, openid="o-owner", phone="13800000010")
    kid = make_member("13800000011", openid="o-kid")
    pool = family.create(owner, "一家人", now=NOW)
    family.invite(pool, owner, kid.phone, now=NOW)
    family.join(kid, pool, now=NOW)
    db.session.commit()
    assert "需要户主开通" in wechat.say("o-kid", "兑换")
    assert conversation.current("o-kid") is None
    family.set_can_redeem(pool, owner, kid, True)
    db.session.commit()
    wechat.say("o-kid", "兑换")
    wechat.say("o-kid", "3")
    # The owner takes the right away again before the kid confirms.
    family.set_can_redeem(pool, owner, kid, False)
    db.session.commit()
    assert "需要户主开通" in wechat.say("o-kid", "是")
    assert (balance(owner), spends()) == (1000, 0)  # the pool is untouched
    family.set_can_redeem(pool, owner, kid, True)
    db.session.commit()
    wechat.say("o-kid", "兑换")
    wechat.say("o-kid", "3")
    assert "爱心" in wechat.say("o-kid", "是")
    assert balance(owner) == 900  # the pool paid: 1000 - 100
    assert_books_clean(runner)


def test_an_empty_catalogue_says_so_and_starts_no_flow(app, wechat):
    member_with(1000)
    assert "暂时没有您可兑换的商品" in wechat.say("o-shop", "兑换")
    assert conversation.current("o-shop") is None


def test_an_unbound_member_is_asked_to_bind_first(shop, wechat):
    assert "您还没有绑定手机号" in wechat.say("o-nobody", "兑换")
