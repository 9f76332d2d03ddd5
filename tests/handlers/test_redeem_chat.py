"""兑换 through the webhook: the numbered catalogue, 是/否, each kind's result, and one
redemption per confirmation whatever WeChat re-delivers or the member taps twice."""
from __future__ import annotations

from sqlalchemy import func, select

from bot import conversation
from extensions import db
from models import Coupon, Redemption
from tests.handlers.redeem_world import (app_config, assert_books_clean, balance, member_with,  # noqa: F401
                                         shop, spends, stock)


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



def test_an_empty_catalogue_says_so_and_starts_no_flow(app, wechat):
    member_with(1000)
    assert "暂时没有您可兑换的商品" in wechat.say("o-shop", "兑换")
    assert conversation.current("o-shop") is None



def test_an_unbound_member_is_asked_to_bind_first(shop, wechat):
    assert "您还没有绑定手机号" in wechat.say("o-nobody", "兑换")
