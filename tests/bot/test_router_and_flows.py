"""Routing (first match wins, in the order of handlers.ROUTING), the help reply generated
from the registered commands, reply size. Flows: tests/bot/test_flows.py."""
import re

import pytest

from bot.messages import Message
from bot.member_sim import message_xml
from bot.replies import TEXT_LIMIT_BYTES, Text, fit_text
from bot.router import Router, router


def msg(**kwargs) -> Message:
    return Message.from_xml(message_xml("o_r", **kwargs))


def test_first_matching_route_wins():
    r = Router()
    r.regex(r"^积")(lambda t: "regex")
    r.text("积分")(lambda t: "keyword")
    handler, match = r.resolve(msg(text="积分"))
    assert handler(None) == "regex"
    assert isinstance(match, re.Match)


def test_the_routing_table_not_import_order_decides():
    import handlers
    r = Router()
    r.text("积分")(_handler_in("handlers.help", "help"))
    r.text("积分")(_handler_in("handlers.points", "points"))
    r.arrange(("handlers.points", "handlers.help"))
    assert r.resolve(msg(text="积分"))[0](None) == "points"


def test_a_module_missing_from_the_routing_table_is_refused():
    r = Router()
    r.text("积分")(_handler_in("handlers.stray", "stray"))
    with pytest.raises(LookupError, match="handlers.stray"):
        r.arrange(("handlers.points",))


def test_every_route_has_a_name_and_the_app_routes_in_table_order(app):
    import handlers
    order = [f"handlers.{name}" for name in handlers.ROUTING]
    modules = [route.module for route in router.routes if route.module.startswith("handlers.")]
    assert modules == sorted(modules, key=order.index)
    assert all(route.name for route in router.routes)
    assert {c.name for c in router.commands} >= {"points", "balance", "tier", "coupons", "records", "help"}


def _handler_in(module: str, answer: str):
    def handler(turn):
        return answer
    handler.__module__ = module
    return handler


def test_each_trigger_kind():
    r = Router()
    r.text("积分", "我的积分")(lambda t: "points")
    r.click("MY_POINTS")(lambda t: "points-click")
    r.scan("pump:")(lambda t: "pump")  # before subscribe: a scene-carrying follow is a pump scan
    r.event("subscribe")(lambda t: "welcome")
    r.message_type("image")(lambda t: "image")
    r.fallback_text(lambda t: "help")
    pick = lambda **kw: r.resolve(msg(**kw))[0](None)  # noqa: E731
    assert pick(text=" 我的积分 ") == "points"
    assert pick(event="CLICK", event_key="MY_POINTS") == "points-click"
    assert pick(event="SCAN", event_key="pump:S001:3") == "pump"
    # Scanning the pump code before following: subscribe carries the scene with qrscene_.
    assert pick(event="subscribe", event_key="qrscene_pump:S001:3") == "pump"
    assert pick(event="subscribe") == "welcome"
    assert pick(msg_type="image") == "image"
    assert pick(text="什么") == "help"
    assert r.resolve(msg(event="VIEW", event_key="https://example.invalid")) is None


@pytest.mark.parametrize("text", ["帮助", "?", "？"])
def test_help_keywords_and_menu(wechat, text):
    assert "绑定" in wechat.say("o_h", text)
    assert "绑定" in wechat.click("o_h", "HELP")["Content"]


def test_help_lists_exactly_the_registered_commands_in_table_order(wechat):
    lines = [line for line in wechat.say("o_h", "帮助").splitlines() if line.startswith("· ")]
    # The table of handlers.ROUTING with a command each, first keyword and help line:
    assert lines == ["· 积分：积分余额、即将过期的积分和最近变动",
                     "· 余额：储值余额（本金和赠送）和最近变动",
                     "· 等级：会员等级、等级权益和升级进度",
                     "· 优惠券：可用的优惠券和有效期",
                     "· 记录：最近 5 笔消费记录",
                     "· 绑定：绑定手机号，成为会员",
                     "· 解绑：解除本微信与会员手机号的绑定",
                     "· 注销：注销会员，删除个人信息",
                     "· 会员卡：出示电子会员卡（会员码 60 秒有效）",
                     "· 推荐：专属推荐二维码，好友扫码成为会员双方得积分",
                     "· 家庭：创建家庭积分池、邀请家人、查看谁赚了多少、设置兑换权限",
                     "· 反馈：意见和建议，可直接发送「反馈 + 内容」",
                     "· 发票：为最近的消费申请电子发票",
                     "· 兑换：用积分兑换优惠券和礼品",
                     "· 签到：每天签到领积分，连续签到有奖励",
                     "· 帮助：查看全部功能"]


def test_a_command_without_a_help_line_in_the_templates_stops_the_app(app_factory, app):
    saved_routes, saved_commands = list(router.routes), list(router.commands)
    router.command("fake", "假命令")(lambda turn: "假")
    try:
        with pytest.raises(RuntimeError, match="no help line .* for: fake"):
            app_factory()
    finally:
        router.routes[:], router.commands[:] = saved_routes, saved_commands


def test_a_command_name_registers_once():
    r = Router()
    r.command("x", "甲")(lambda t: None)
    with pytest.raises(ValueError, match="twice"):
        r.command("x", "乙")(lambda t: None)


def test_subscribe_is_recorded_and_welcomed(wechat, app):
    from sqlalchemy import select

    from extensions import db
    from models import Follower
    reply = wechat.event("o_follow", "subscribe")
    assert "欢迎" in reply["Content"]
    wechat.event("o_follow", "unsubscribe")
    follower = db.session.scalars(select(Follower).where(Follower.openid == "o_follow")).one()
    assert follower.subscribed is False and follower.unsubscribed_at is not None


# --- reply size --------------------------------------------------------------------

@pytest.mark.parametrize("text", ["油" * 1000, "a" * 3000, "a" + "油" * 700, "🚗" * 600])
def test_text_replies_fit_2048_bytes_without_cutting_a_character(text):
    fitted = fit_text(text)
    raw = fitted.encode()
    assert len(raw) <= TEXT_LIMIT_BYTES
    assert raw.decode() == fitted  # still valid UTF-8
    assert fitted.endswith("…") and text.startswith(fitted[:-1])


def test_short_text_is_untouched():
    assert fit_text("积分 100") == "积分 100"


def test_long_reply_through_the_webhook_is_cut(wechat):
    saved = list(router.routes)
    router.text("长")(lambda turn: "油" * 5000)
    router.routes.insert(0, router.routes.pop())
    try:
        content = wechat.say("o_long", "长")
    finally:
        router.routes[:] = saved
    assert len(content.encode()) <= TEXT_LIMIT_BYTES
    assert "<Content>" not in content
    assert Text(content).render("a", "b").count("油") == content.count("油")
