"""Multi-step flows as declared graphs (python-telegram-bot's ConversationHandler shape).

A `Flow` is declared in one constructor: its states, each with the function that takes
the member's answer, the states it may go to (`to`, END to finish), what text it accepts
(a regex or a validator) and the re-prompt when the text does not fit. 取消 / 退出 leave
any flow; the timeout is part of the declaration. The graph is checked when the Flow is
built, that is when its module is imported: an unknown target, an unreachable state or a
state without a function raise FlowError.

    def ask_phone(turn): return Step(texts.render("bind/code_sent"), next="code", data={...})
    def check_code(turn): return Step(texts.render("bind/done"), next=END)

    bind = Flow("bind_phone", start="phone", timeout=300, states={
        "phone": State(ask_phone, to=("code",), accepts=r"^1[3-9]\\d{9}$", reprompt="bind/phone_again"),
        "code": State(check_code, to=(END,), accepts=r"^\\d{6}$", reprompt="bind/code_again"),
    })

    @router.command("bind", "绑定", menu="BIND_PHONE")
    def start(turn): return bind.begin(turn, texts.render("bind/ask_phone"))

State lives in Redis under `conv:<openid>` as {flow, state, data, deadline}. The key is
kept EXPIRED_NOTICE_SECONDS past the deadline, so the next message after a timeout is
answered "上一步操作已超时，已退出。" and then routed as a fresh message — never taken as
the answer to a question the member no longer sees. A short per-member lock keeps two
simultaneous messages from advancing one state twice. Events (menu taps, scans) are not
part of a flow: they route as usual and leave the flow waiting.
"""
from __future__ import annotations

import json
import re
import sys
import time
from contextlib import contextmanager
from typing import Any

from flask import current_app, render_template

from bot import flow_graph
from bot.flow_graph import END, FlowError, State, Step  # noqa: F401  (the flow API is imported from here)
from bot.router import Turn, router
from extensions import get_redis

CANCEL_WORDS = ("取消", "退出")
# How long after the deadline the state is kept to say "timed out" instead of misreading.
EXPIRED_NOTICE_SECONDS = 3600

_flows: dict[str, "Flow"] = {}


def _reply(template: str) -> str:
    return render_template(f"replies/{template}.txt").strip()


class Flow:
    def __init__(self, name: str, *, start: str, states: dict[str, State], timeout: int | None = None,
                 cancel_words: tuple[str, ...] = CANCEL_WORDS):
        self.name, self.start, self.states, self.timeout = name, start, dict(states), timeout
        self.cancel_words = frozenset(cancel_words)
        # The declaring module: `flask wechat flows` documents the flows of handlers/ only.
        self.module = sys._getframe(1).f_globals.get("__name__", "")
        flow_graph.check(self)
        if name in _flows:
            raise FlowError(f"flow {name!r} is defined twice")
        _flows[name] = self

    def ttl(self) -> int:
        return self.timeout or current_app.config["CONVERSATION_TTL"]

    def _save(self, openid: str, state: str, data: dict) -> None:
        ttl = self.ttl()
        save(openid, {"flow": self.name, "state": state, "data": data, "deadline": time.time() + ttl},
             ttl + EXPIRED_NOTICE_SECONDS)

    def begin(self, turn: Turn, reply: Any, data: dict | None = None) -> Any:
        """Enter the flow at its start state and return `reply` (the first question)."""
        self._save(turn.openid, self.start, data or {})
        return reply

    def advance(self, turn: Turn, current: dict) -> Any:
        if turn.text in self.cancel_words:
            clear(turn.openid)
            return _reply("flow_cancelled")
        state = self.states[current["state"]]
        turn.data = dict(current["data"])
        turn.accepted = state.take(turn.text)
        if turn.accepted is None or turn.accepted is False:
            # Not an answer to this question: ask again, same state, same deadline.
            return state.reprompt(turn) if callable(state.reprompt) else _reply(state.reprompt)
        if isinstance(turn.accepted, re.Match):
            turn.match = turn.accepted
        step = state.handler(turn)
        if not isinstance(step, Step):
            raise FlowError(f"state {self.name}.{current['state']} must return a Step")
        following = END if step.next is None else step.next
        if following not in state.to:
            raise FlowError(f"{self.name}.{current['state']} may not go to {following!r} (declared: {state.to})")
        if following == END:
            clear(turn.openid)
        else:
            self._save(turn.openid, following, {**current["data"], **step.data})
        return step.reply

    def mermaid(self) -> str:
        """The flow as a Mermaid stateDiagram-v2 (what `flask wechat flows` prints)."""
        return flow_graph.mermaid(self)


def flows() -> list[Flow]:
    """Every declared flow, by name."""
    return [_flows[name] for name in sorted(_flows)]


# take_turn's `state` when nobody read it yet.
UNREAD = object()


def state_key(openid: str) -> str:
    """The Redis key of a member's conversation state."""
    return f"conv:{openid}"


def save(openid: str, state: dict, ttl: int) -> None:
    get_redis().set(state_key(openid), json.dumps(state, ensure_ascii=False), ex=ttl)


def clear(openid: str) -> None:
    get_redis().delete(state_key(openid))


def current(openid: str) -> dict | None:
    return _load(get_redis().get(state_key(openid)))


def _load(raw: bytes | None) -> dict | None:
    if raw is None:
        return None
    state = json.loads(raw)
    return state if state.get("flow") in _flows else None


@contextmanager
def member_lock(openid: str):
    """Serialise one member's messages while a flow is active."""
    lock = get_redis().lock(f"{state_key(openid)}:lock", timeout=30, blocking_timeout=3)
    if not lock.acquire():
        yield False
        return
    try:
        yield True
    finally:
        try:
            lock.release()
        except Exception:  # the lock expired under a very slow step: nothing left to release
            current_app.logger.warning("conversation lock for a member expired before release")


def _after_timeout(turn: Turn) -> Any:
    """The expired notice, then the message routed as if no flow had been running;
    text nobody takes gets the notice alone (not the whole help)."""
    notice = _reply("flow_expired")
    handled, reply = router.run(turn, fallback=False)
    if not handled:
        return notice
    return f"{notice}\n\n{reply}" if isinstance(reply, str) and reply else (reply or notice)


def take_turn(turn: Turn, raw_state: Any = UNREAD) -> tuple[bool, Any]:
    """If the member is inside a flow and this message belongs to it, run the step.

    Returns (handled, reply). Events (menu taps, scans, follows) are not part of a
    flow: they route as usual and leave the flow waiting.
    """
    if turn.msg.type != "text":
        return False, None
    # The state read with the dedup claim (raw_state) only decides whether to lock;
    # under the lock it is read again.
    if (current(turn.openid) if raw_state is UNREAD else _load(raw_state)) is None:
        return False, None
    with member_lock(turn.openid) as locked:
        if not locked:
            return True, _reply("flow_busy")
        state = current(turn.openid)  # re-read under the lock
        if state is None:
            return False, None
        if time.time() > state.get("deadline", float("inf")):
            clear(turn.openid)
            return True, _after_timeout(turn)
        return True, _flows[state["flow"]].advance(turn, state)
