"""Routing (first match wins), conversations across processes, reply size."""
import re

import pytest

from bot import conversation
from bot.conversation import Conversation, Step
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


def test_subscribe_is_recorded_and_welcomed(wechat, app):
    from sqlalchemy import select

    from extensions import db
    from models import Follower
    reply = wechat.event("o_follow", "subscribe")
    assert "欢迎" in reply["Content"]
    wechat.event("o_follow", "unsubscribe")
    follower = db.session.scalars(select(Follower).where(Follower.openid == "o_follow")).one()
    assert follower.subscribed is False and follower.unsubscribed_at is not None


# --- conversations -----------------------------------------------------------------

quiz = Conversation("test_quiz", timeout=60)


@pytest.fixture
def quiz_routes():
    saved = list(router.routes)
    router.text("问答")(lambda turn: quiz.begin(turn, "name", "你叫什么？"))
    router.routes.insert(0, router.routes.pop())
    yield
    router.routes[:] = saved


@quiz.state("name")
def _name(turn):
    if not turn.text:
        return Step("请输入名字", next="name")
    return Step(f"{turn.text}，你开什么车？", next="car", data={"name": turn.text})


@quiz.state("car")
def _car(turn):
    return Step(f"{turn.data['name']}开{turn.text}", next=None)


def test_conversation_steps_through_states_and_ends(wechat, quiz_routes):
    assert wechat.say("o_q", "问答") == "你叫什么？"
    assert wechat.say("o_q", "小王") == "小王，你开什么车？"
    assert wechat.say("o_q", "卡罗拉") == "小王开卡罗拉"
    assert conversation.current("o_q") is None
    assert "绑定" in wechat.say("o_q", "卡罗拉")  # outside the flow: the help reply


def test_cancel_leaves_the_flow(wechat, quiz_routes):
    wechat.say("o_c", "问答")
    assert "取消" in wechat.say("o_c", "取消")
    assert conversation.current("o_c") is None


def test_state_lives_in_redis_with_a_ttl_and_serves_another_process(wechat, wechat_for, app_factory,
                                                                     quiz_routes, app):
    from extensions import get_redis
    wechat.say("o_p", "问答")
    ttl = get_redis().ttl("conv:o_p")
    assert 0 < ttl <= 60
    # Another app (as another worker process would be) takes the next step.
    other = app_factory()
    assert wechat_for(other).say("o_p", "老李") == "老李，你开什么车？"
    assert wechat.say("o_p", "货车") == "老李开货车"


def test_flow_forgotten_after_timeout(wechat, quiz_routes, app):
    from extensions import get_redis
    wechat.say("o_t", "问答")
    get_redis().pexpire("conv:o_t", 1)
    import time
    time.sleep(0.05)
    assert "绑定" in wechat.say("o_t", "小张")


def test_menu_tap_inside_a_flow_is_answered_and_flow_waits(wechat, quiz_routes):
    wechat.say("o_m", "问答")
    assert "绑定" in wechat.click("o_m", "HELP")["Content"]
    assert wechat.say("o_m", "小赵") == "小赵，你开什么车？"


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


def test_long_reply_through_the_webhook_is_cut(wechat, quiz_routes):
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
