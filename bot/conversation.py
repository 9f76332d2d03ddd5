"""Multi-step flows as explicit state machines.

A `Conversation` has an entry (a normal routed handler that calls `begin`), named
states (each a function of the turn returning a `Step`), fallbacks that leave the flow
(取消 by default) and a timeout. The current flow, state and data of a member live in
Redis under `conv:<openid>` with the timeout as TTL, so any web process can take the
next message; a short per-member lock keeps two simultaneous messages from both
advancing the same state.

    bind = Conversation("bind_phone")

    @router.text("绑定")
    def start(turn):
        return bind.begin(turn, "phone", "请输入手机号")

    @bind.state("phone")
    def phone(turn):
        return Step("验证码已发送，请输入验证码", next="code", data={"phone": turn.text})
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app

from bot.router import Turn
from extensions import get_redis

CANCEL_WORDS = ("取消", "退出")
CANCELLED = "已取消。回复「帮助」查看可用功能。"
BUSY = "上一条消息还在处理中，请稍候再试。"

_flows: dict[str, "Conversation"] = {}


@dataclass
class Step:
    """What a state returns: the reply, the next state (None ends the flow) and data
    to merge into the flow's data."""

    reply: Any = None
    next: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Conversation:
    def __init__(self, name: str, *, timeout: int | None = None,
                 cancel_words: tuple[str, ...] = CANCEL_WORDS, cancel_reply: str = CANCELLED):
        if name in _flows:
            raise ValueError(f"conversation {name!r} is defined twice")
        self.name = name
        self.timeout = timeout
        self.states: dict[str, Callable[[Turn], Step]] = {}
        self.cancel_words = frozenset(cancel_words)
        self.cancel_reply = cancel_reply
        _flows[name] = self

    def state(self, name: str):
        def register(fn: Callable[[Turn], Step]):
            self.states[name] = fn
            return fn
        return register

    def ttl(self) -> int:
        return self.timeout or current_app.config["CONVERSATION_TTL"]

    def begin(self, turn: Turn, state: str, reply: Any, data: dict | None = None) -> Any:
        """Enter the flow at `state` and return `reply` (the first question)."""
        if state not in self.states:
            raise KeyError(f"{self.name} has no state {state!r}")
        save(turn.openid, {"flow": self.name, "state": state, "data": data or {}}, self.ttl())
        return reply

    def advance(self, turn: Turn, current: dict) -> Any:
        if turn.msg.type == "text" and turn.text in self.cancel_words:
            clear(turn.openid)
            return self.cancel_reply
        turn.data = dict(current["data"])
        step = self.states[current["state"]](turn)
        if not isinstance(step, Step):
            raise TypeError(f"state {self.name}.{current['state']} must return a Step")
        if step.next is None:
            clear(turn.openid)
        else:
            if step.next not in self.states:
                raise KeyError(f"{self.name} has no state {step.next!r}")
            data = {**current["data"], **step.data}
            save(turn.openid, {"flow": self.name, "state": step.next, "data": data}, self.ttl())
        return step.reply


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
            return True, BUSY
        state = current(turn.openid)  # re-read under the lock
        if state is None:
            return False, None
        return True, _flows[state["flow"]].advance(turn, state)
