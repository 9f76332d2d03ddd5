"""Dedup of WeChat's retries, the 5-second reply budget and handler errors."""
import threading
import time

import pytest
from rq import SimpleWorker

from bot import dedup
from bot.conversation import END, Flow, State, Step
from bot.member_sim import message_xml
from bot.messages import Message
from bot.router import Turn, router
from extensions import get_redis
from jobs import queue


@pytest.fixture
def routes():
    """Register test-only routes in front of the real ones; restored afterwards."""
    saved = list(router.routes)
    added = []

    def add(register, handler):
        register(handler)
        route = router.routes.pop()
        added.append(route)
        router.routes.insert(len(added) - 1, route)
        return handler

    yield add
    router.routes[:] = saved


def run_jobs(app):
    """Run the queued jobs with a real RQ worker, in this process and app context."""
    worker = SimpleWorker([queue()], connection=queue().connection)
    worker.work(burst=True)


def test_redelivery_gets_the_cached_reply_without_running_the_handler(wechat, routes):
    calls = []
    routes(router.text("计数"), lambda turn: calls.append(1) or f"第{len(calls)}次")
    xml = message_xml("o_dup", text="计数", msg_id=424242)
    first = wechat.post(xml)
    again = wechat.post(xml)
    assert first["Content"] == "第1次"
    assert again["Content"] == "第1次"
    assert calls == [1]


def test_event_redelivery_is_keyed_on_sender_time_and_event(wechat, routes):
    calls = []
    routes(router.click("COUNT"), lambda turn: calls.append(1) or "ok")
    wechat.post(message_xml("o_ev", event="CLICK", event_key="COUNT", create_time=1700000000))
    wechat.post(message_xml("o_ev", event="CLICK", event_key="COUNT", create_time=1700000000))
    wechat.post(message_xml("o_ev", event="CLICK", event_key="COUNT", create_time=1700000001))
    assert len(calls) == 2


def test_two_different_menu_taps_in_the_same_second_both_run(wechat, routes):
    # Events carry no MsgId: a member tapping two buttons within one second sends two events
    # that share sender and CreateTime; only the EventKey tells them apart.
    calls = []
    routes(router.click("TAP_A"), lambda turn: calls.append("A") or "a")
    routes(router.click("TAP_B"), lambda turn: calls.append("B") or "b")
    first = wechat.post(message_xml("o_taps", event="CLICK", event_key="TAP_A", create_time=1700000000))
    second = wechat.post(message_xml("o_taps", event="CLICK", event_key="TAP_B", create_time=1700000000))
    assert (first["Content"], second["Content"]) == ("a", "b")
    assert calls == ["A", "B"]


def test_redelivery_while_running_gets_success_and_result_follows_as_customer_message(
        app, wechat, routes, fake_wechat):
    release = threading.Event()
    calls = []

    def slow(turn):
        calls.append(1)
        release.wait(10)
        return "慢慢来的回复"

    routes(router.text("慢"), slow)
    xml = message_xml("o_slow", text="慢", msg_id=777)
    first_result = {}
    t = threading.Thread(target=lambda: first_result.update(r=wechat.post(xml)))
    # The first delivery is still running when WeChat re-sends.
    app.config["WECHAT_REPLY_BUDGET"] = 10
    t.start()
    for _ in range(100):
        if calls:
            break
        time.sleep(0.02)
    started = time.monotonic()
    assert wechat.post(xml) is None  # `success`
    assert time.monotonic() - started < 1
    release.set()
    t.join(5)
    assert calls == [1]
    run_jobs(app)
    assert [m["text"]["content"] for m in fake_wechat.custom_messages] == ["慢慢来的回复"]
    assert fake_wechat.custom_messages[0]["touser"] == "o_slow"


BUDGET, API_DELAY = 0.5, 2.0  # production: a 4 s budget against WeChat's 5 s, APIs that may take 10 s


@pytest.fixture
def short_budget(app_config):
    app_config.update(WECHAT_HTTP_TIMEOUT=15, WECHAT_REPLY_BUDGET=BUDGET)


def test_reply_leaves_within_budget_when_the_wechat_api_sleeps(short_budget, app, wechat, routes, fake_wechat):
    """A handler calling a WeChat API that sleeps four times the reply budget: the member
    gets `success` once the budget is spent, long before the API answers, and the
    handler's reply arrives later as a customer-service message."""
    from bot.wechat import get_client

    from bot.menu import menu_json
    fake_wechat.delay("/cgi-bin/menu/create", API_DELAY)

    def calls_slow_api(turn):
        get_client().create_menu(menu_json())
        return "菜单已发布"

    routes(router.text("发布菜单"), calls_slow_api)
    started = time.monotonic()
    reply = wechat.send("o_budget", "发布菜单")
    elapsed = time.monotonic() - started
    assert reply is None
    assert BUDGET <= elapsed < API_DELAY  # waited out the budget, not the API
    assert fake_wechat.custom_messages == []  # the reply was not sent before the API answered
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not fake_wechat.custom_messages:
        run_jobs(app)
        time.sleep(0.2)
    assert [m["text"]["content"] for m in fake_wechat.custom_messages] == ["菜单已发布"]


def test_handler_error_reraises_under_testing(wechat, routes):
    def broken(turn):
        raise RuntimeError("boom")

    routes(router.text("坏"), broken)
    with pytest.raises(RuntimeError, match="boom"):
        wechat.send("o_err", "坏")


def test_handler_error_in_production_gets_a_polite_apology_and_is_logged(app_factory, wechat_for,
                                                                        routes, caplog):
    prod = app_factory(TESTING=False)
    routes(router.text("坏"), lambda turn: 1 / 0)
    reply = wechat_for(prod).send("o_err", "坏")
    assert "抱歉" in reply["Content"]
    assert any("handler failed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_unknown_text_gets_help_and_unknown_event_gets_success(wechat):
    assert "绑定" in wechat.say("o_x", "随便说点什么")
    assert wechat.event("o_x", "LOCATION") is None
    assert wechat.last_response.get_data(as_text=True) == "success"
    assert wechat.event("o_x", "some_future_event") is None


def test_dedup_states_are_atomic(app):
    first = dedup.claim("k1", 60)
    assert first.first
    assert dedup.claim("k1", 60).state == "H"  # a re-delivery while running hands off
    assert dedup.finish("k1", None, 60) is True  # so the finisher must send it itself
    done = dedup.claim("k1", 60)
    assert done.done and done.reply() is None


def test_a_quick_pure_handler_runs_again_on_a_redelivery_and_no_reply_is_stored(app, wechat, routes):
    # Pure: it only reads, so a re-delivery may run it again; run on the request thread
    # (quick), nothing has to be stored after it answers: one Redis round trip per message.
    calls = []
    routes(router.text("看看"), router.quick(router.pure(lambda turn: calls.append(1) or f"第{len(calls)}次")))
    xml = message_xml("o_pure", text="看看", msg_id=515151)
    assert wechat.post(xml)["Content"] == "第1次"
    assert get_redis().get("wx:dedup:m:515151") == b"P"
    assert wechat.post(xml)["Content"] == "第2次"
    assert calls == [1, 1]


_steps = []


def _count_step(turn):
    _steps.append(turn.text)
    return Step(f"步骤{len(_steps)}", next=END)


_counting = Flow("test_counting", start="any", timeout=60,
                 states={"any": State(_count_step, to=(END,))})


def test_with_a_conversation_open_a_pure_commands_redelivery_does_not_run_the_step_again(app, wechat):
    # 帮助 is pure, but an open conversation may take it as its answer (a side effect):
    # then the delivery is claimed as any other, and a re-delivery gets the stored reply.
    _steps.clear()
    _counting.begin(Turn(Message.from_xml(message_xml("o_flow", text="x"))), None)
    xml = message_xml("o_flow", text="帮助", msg_id=616161)
    assert wechat.post(xml)["Content"] == "步骤1"
    assert wechat.post(xml)["Content"] == "步骤1"
    assert _steps == ["帮助"]
    assert get_redis().get("wx:dedup:m:616161").startswith(b"D")
