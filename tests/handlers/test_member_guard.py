"""member_required: account commands need a bound member, found once per message."""
import pytest

import handlers.guard
from tests.factories import make_member

UNBOUND = ("您还没有绑定手机号，暂时查不到会员信息。\n"
           "请回复「绑定」绑定手机号（在收银台登记过的手机号也可以直接绑定），绑定后即可查看积分、余额、优惠券等。")


@pytest.mark.parametrize("keyword", ["积分", "我的积分", "余额", "储值", "等级", "会员等级", "优惠券", "我的券",
                                     "记录", "消费记录"])
def test_an_unbound_member_is_guided_to_bind(wechat, keyword):
    assert wechat.say("o_stranger", keyword) == UNBOUND


@pytest.mark.parametrize("key", ["MY_POINTS", "MY_BALANCE", "MY_TIER", "MY_COUPONS", "HISTORY"])
def test_an_unbound_member_tapping_the_menu_is_guided_to_bind(wechat, key):
    assert wechat.click("o_stranger", key)["Content"] == UNBOUND


def test_the_member_is_looked_up_once_and_handed_to_the_command(wechat, app, monkeypatch):
    make_member("13800000031", openid="o_once")
    calls = []
    real = handlers.guard.member_by_openid
    monkeypatch.setattr(handlers.guard, "member_by_openid", lambda openid: calls.append(openid) or real(openid))
    assert wechat.say("o_once", "积分").startswith("我的积分：0 分")
    assert calls == ["o_once"]


def test_another_openid_of_the_same_member_sees_the_same_account(wechat, app):
    from tests.factories import bind
    member = make_member("13800000032", openid="o_phone_a")
    bind(member, "o_phone_b")
    assert wechat.say("o_phone_b", "积分") == wechat.say("o_phone_a", "积分")
