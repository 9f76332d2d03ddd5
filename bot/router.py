"""The handler registry.

A route is a test plus a handler; routes are tried in the order they were registered
and the first whose test passes handles the message. handlers/__init__.py imports the
handler modules in a fixed order, so that order is the routing table.

    @router.text("积分", "我的积分")      exact keyword (after stripping spaces)
    @router.regex(r"^反馈\\s*(.+)$")      a regex over the text; the match is on turn.match
    @router.click("MY_POINTS")           a menu button's key
    @router.event("subscribe")           an event by name (lower case)
    @router.scan("pump:")                a parametric-QR scene by prefix (SCAN or qrscene_ subscribe)
    @router.message_type("image")        any message of that type
    @router.fallback_text                text nobody else took (the help reply)

Decorators stack, so one handler can answer a keyword and a menu key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.messages import Message


@dataclass
class Turn:
    """One message as a handler sees it."""

    msg: Message
    match: re.Match | None = None
    data: dict[str, Any] = field(default_factory=dict)  # the conversation's data, if any

    @property
    def openid(self) -> str:
        return self.msg.openid

    @property
    def text(self) -> str:
        return self.msg.content


Handler = Callable[[Turn], Any]
Test = Callable[[Message], "re.Match | bool | None"]


@dataclass(frozen=True)
class Route:
    name: str
    test: Test
    handler: Handler


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.fallback: Handler | None = None

    def add(self, name: str, test: Test) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(f"{name} -> {handler.__module__}.{handler.__name__}", test, handler))
            return handler
        return register

    def text(self, *keywords: str):
        words = frozenset(k.strip().lower() for k in keywords)
        return self.add(f"text{sorted(words)}",
                        lambda m: m.type == "text" and m.content.lower() in words)

    def regex(self, pattern: str | re.Pattern):
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        return self.add(f"regex({rx.pattern})", lambda m: m.type == "text" and rx.search(m.content))

    def click(self, key: str):
        return self.add(f"click({key})", lambda m: m.event == "click" and m.event_key == key)

    def event(self, name: str):
        name = name.lower()
        return self.add(f"event({name})", lambda m: m.event == name)

    def scan(self, prefix: str):
        return self.add(f"scan({prefix})", lambda m: (m.scene or "").startswith(prefix) and m.scene is not None)

    def message_type(self, msg_type: str):
        msg_type = msg_type.lower()
        return self.add(f"type({msg_type})", lambda m: m.type == msg_type)

    @staticmethod
    def quick(handler: Handler) -> Handler:
        """Mark a handler that does no I/O and so always answers within the reply budget:
        it runs on the request thread, sparing the pool handoff (two thread switches)."""
        handler.quick = True
        return handler

    def fallback_text(self, handler: Handler) -> Handler:
        self.fallback = handler
        return handler

    def resolve(self, msg: Message) -> tuple[Handler, re.Match | None] | None:
        for route in self.routes:
            hit = route.test(msg)
            if hit:
                return route.handler, (hit if isinstance(hit, re.Match) else None)
        if msg.type == "text" and self.fallback is not None:
            return self.fallback, None
        return None


router = Router()
