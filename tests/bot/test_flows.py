"""Conversations as declared graphs: checked at definition, input accepted or re-prompted,
取消, timeouts told to the member, state in Redis across processes, the Mermaid diagram."""
import json

import pytest

from bot import conversation
from bot.conversation import END, Flow, FlowError, State, Step
from bot.router import router
from extensions import get_redis


def _name(turn):
    return Step(f"{turn.text}，你开什么车？", next="car", data={"name": turn.text})


def _car(turn):
    return Step(f"{turn.data['name']}开{turn.text}", next=END)


quiz = Flow("test_quiz", start="name", timeout=60, states={
    "name": State(_name, to=("car",), accepts=r"^[\u4e00-\u9fff]{2,4}$",
                  reprompt=lambda turn: "请输入 2 到 4 个汉字的名字"),
    "car": State(_car, to=(END,)),
})


@pytest.fixture
def quiz_routes(app):
    saved = list(router.routes)
    router.text("问答")(lambda turn: quiz.begin(turn, "你叫什么？"))
    router.routes.insert(0, router.routes.pop())
    yield
    router.routes[:] = saved


def help_text(wechat):
    return wechat.say("o_help_probe", "帮助")


def test_conversation_steps_through_states_and_ends(wechat, quiz_routes):
    assert wechat.say("o_q", "问答") == "你叫什么？"
    assert wechat.say("o_q", "小王") == "小王，你开什么车？"
    assert wechat.say("o_q", "卡罗拉") == "小王开卡罗拉"
    assert conversation.current("o_q") is None
    assert wechat.say("o_q", "卡罗拉") == help_text(wechat)  # outside the flow: the help reply


def test_input_that_does_not_fit_is_reprompted_and_the_state_waits(wechat, quiz_routes):
    wechat.say("o_rp", "问答")
    assert wechat.say("o_rp", "123") == "请输入 2 到 4 个汉字的名字"
    assert conversation.current("o_rp")["state"] == "name"
    assert wechat.say("o_rp", "小王") == "小王，你开什么车？"


def test_cancel_leaves_the_flow(wechat, quiz_routes):
    wechat.say("o_c", "问答")
    assert wechat.say("o_c", "取消") == "已取消。回复「帮助」查看可用功能。"
    assert conversation.current("o_c") is None


def _expire(openid: str) -> None:
    # As if the flow's 60 s had passed: move the stored deadline into the past.
    state = json.loads(get_redis().get(f"conv:{openid}"))
    state["deadline"] -= 61
    get_redis().set(f"conv:{openid}", json.dumps(state))


def test_an_answer_after_the_timeout_is_told_not_misread(wechat, quiz_routes):
    wechat.say("o_t", "问答")
    _expire("o_t")
    assert wechat.say("o_t", "小张") == "上一步操作已超时，已退出。"
    assert conversation.current("o_t") is None
    assert wechat.say("o_t", "小张") == help_text(wechat)  # told once, then as usual


def test_a_command_after_the_timeout_is_answered_after_the_notice(wechat, quiz_routes):
    wechat.say("o_t2", "问答")
    _expire("o_t2")
    assert wechat.say("o_t2", "帮助") == "上一步操作已超时，已退出。\n\n" + help_text(wechat)


def test_the_state_is_kept_past_the_deadline_to_tell_the_timeout(wechat, quiz_routes):
    wechat.say("o_ttl", "问答")
    # 60 s to answer, then EXPIRED_NOTICE_SECONDS (3600) more to say it timed out.
    assert 3600 < get_redis().ttl("conv:o_ttl") <= 3660


def test_a_state_forgotten_altogether_routes_as_usual(wechat, quiz_routes):
    wechat.say("o_gone", "问答")
    get_redis().delete("conv:o_gone")
    assert wechat.say("o_gone", "小张") == help_text(wechat)


def test_state_lives_in_redis_and_serves_another_process(wechat, wechat_for, app_factory, quiz_routes):
    wechat.say("o_p", "问答")
    other = app_factory()  # as another worker process would be
    assert wechat_for(other).say("o_p", "老李") == "老李，你开什么车？"
    assert wechat.say("o_p", "货车") == "老李开货车"


def test_menu_tap_inside_a_flow_is_answered_and_flow_waits(wechat, quiz_routes):
    wechat.say("o_m", "问答")
    assert wechat.click("o_m", "HELP")["Content"] == help_text(wechat)
    assert wechat.say("o_m", "小赵") == "小赵，你开什么车？"


def test_a_step_to_an_undeclared_state_is_a_bug(wechat, quiz_routes):
    stray = Flow("test_stray", start="a", states={"a": State(lambda t: Step("x", next="b"), to=(END,))})
    saved = list(router.routes)
    router.text("乱跳")(lambda turn: stray.begin(turn, "开始"))
    router.routes.insert(0, router.routes.pop())
    try:
        wechat.say("o_s", "乱跳")
        with pytest.raises(FlowError, match="may not go to 'b'"):
            wechat.say("o_s", "好")
    finally:
        router.routes[:] = saved


def _ok(turn):
    return Step("ok", next=END)


@pytest.mark.parametrize("states, start, problem", [
    ({"a": State(_ok, to=("b",))}, "a", "unknown state 'b'"),
    ({"a": State(_ok, to=(END,)), "b": State(_ok, to=(END,))}, "a", "'b' is unreachable"),
    ({"a": State(None, to=(END,))}, "a", "'a' has no handler"),
    ({"a": State(_ok)}, "a", "'a' has no way out"),
    ({"a": State(_ok, to=(END,))}, "z", "start state 'z'"),
    ({"a": State(_ok, to=(END,), accepts=r"\d")}, "a", "no reprompt"),
])
def test_a_wrong_graph_is_refused_when_declared(states, start, problem):
    with pytest.raises(FlowError, match=problem):
        Flow(f"test_bad_{abs(hash(problem))}", start=start, states=states)


def test_a_flow_name_is_declared_once():
    with pytest.raises(FlowError, match="twice"):
        Flow("test_quiz", start="a", states={"a": State(_ok, to=(END,))})


def test_the_diagram_is_mermaid_state_diagram():
    assert quiz.mermaid() == (
        "stateDiagram-v2\n"
        "    [*] --> name\n"
        "    name --> name: 输入不符，重新提示\n"
        "    name --> car\n"
        "    car --> [*]\n"
        "    note right of name: 任意状态：取消 / 退出 退出；60 秒 无回复即超时\n")
