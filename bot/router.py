"""The handler registry.

A route is a name, a test and a handler. handlers/__init__.py's ROUTING table lists
every handler module in order; `Router.arrange` sorts the routes by that table once the
modules are imported, so the table — not import order — is the routing order, and the
first route whose test passes handles the message.

    @router.command("points", "积分", "我的积分", menu="MY_POINTS")
                                         a member command: keywords + menu key (its help line: templates/replies/help_lines.txt)
    @router.text("积分", "我的积分")      exact keyword (after stripping spaces)
    @router.regex(r"^反馈\\s*(.+)$")      a regex over the text; the match is on turn.match
    @router.click("MY_POINTS")           a menu button's key
    @router.event("subscribe")           an event by name (lower case)
    @router.scan("pump:")                a parametric-QR scene by prefix (SCAN or qrscene_ subscribe)
    @router.message_type("image")        any message of that type
    @router.fallback_text                text nobody else took (the help reply)

Decorators stack, so one handler can answer a keyword and a menu key. A handler that
finds the message is not for it after all (a digit that answers no open survey) returns
`PASS`: routing goes on to the next matching route, and to the fallback. `router.commands`
is what the help reply lists: exactly the registered commands, in routing-table order.
"""
from __future__ import annotations

import heapq
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
    # What a flow state's `accepts` made of the text (the regex match or the validator's value).
    accepted: Any = None
    # The bound member, set by handlers.guard.member_required (bot/ knows nothing of loyalty).
    member: Any = None
    # What a @router.cached handler said about its reply: (counter keys, until) (bot/reply_cache.py).
    cache: tuple[list[str], float | None] | None = None

    @property
    def openid(self) -> str:
        return self.msg.openid

    @property
    def text(self) -> str:
        return self.msg.content

    def cache_reply(self, watch: list[str], until: float | None = None) -> None:
        """(A @router.cached handler.) This turn's reply may be served again to this openid
        until one of the Redis counters `watch` moves, or the Unix time `until` passes."""
        self.cache = (list(watch), until)


Handler = Callable[[Turn], Any]


class _Pass:
    """What a handler returns to decline a message it matched (see the module docstring)."""

    def __repr__(self) -> str:
        return "PASS"


PASS = _Pass()
Test = Callable[[Message], "re.Match | bool | None"]


@dataclass(frozen=True)
class Route:
    name: str
    test: Test
    handler: Handler
    # An exact-keyword route's words (lower case): found by a dict lookup, not by testing.
    words: frozenset[str] | None = None
    on: str | None = None  # the only message type (MsgType) it can take; None: any

    @property
    def module(self) -> str:
        return self.handler.__module__


@dataclass(frozen=True)
class Command:
    """A member command as the help reply shows it."""

    name: str
    keywords: tuple[str, ...]
    menu_key: str | None
    module: str


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.commands: list[Command] = []
        self.fallback: Handler | None = None
        self.arranged: tuple[str, ...] | None = None
        self._indexed: list[Route] | None = None  # the routes _words/_tested were built from
        self._words: dict[str, int] = {}  # keyword -> position of the first route taking it
        self._tested: dict[str, list[int]] = {}  # message type -> positions of the routes to test

    def add(self, name: str, test: Test, words: frozenset[str] | None = None,
            on: str | None = None) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(f"{name} -> {handler.__module__}.{handler.__name__}", test, handler,
                                     words, on))
            return handler
        return register

    def command(self, name: str, *keywords: str, menu: str | None = None):
        """Register a member command: its keywords and its menu key (optional); the line
        the help reply shows for it is LINES[name] in templates/replies/help_lines.txt.
        Routes are named `<name>:text` / `<name>:click`."""
        def register(handler: Handler) -> Handler:
            if any(c.name == name for c in self.commands):
                raise ValueError(f"command {name!r} is registered twice")
            self.text(*keywords, name=f"{name}:text")(handler)
            if menu:
                self.click(menu, name=f"{name}:click")(handler)
            self.commands.append(Command(name, tuple(keywords), menu, handler.__module__))
            return handler
        return register

    def text(self, *keywords: str, name: str | None = None):
        words = frozenset(k.strip().lower() for k in keywords)
        return self.add(name or f"text{sorted(words)}",
                        lambda m: m.type == "text" and m.content.lower() in words, words, "text")

    def regex(self, pattern: str | re.Pattern, name: str | None = None):
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        return self.add(name or f"regex({rx.pattern})", lambda m: m.type == "text" and rx.search(m.content),
                        on="text")

    def click(self, key: str, name: str | None = None):
        return self.add(name or f"click({key})", lambda m: m.event == "click" and m.event_key == key,
                        on="event")

    def event(self, name: str):
        name = name.lower()
        return self.add(f"event({name})", lambda m: m.event == name, on="event")

    def scan(self, prefix: str):
        return self.add(f"scan({prefix})", lambda m: (m.scene or "").startswith(prefix) and m.scene is not None,
                        on="event")

    def message_type(self, msg_type: str):
        msg_type = msg_type.lower()
        return self.add(f"type({msg_type})", lambda m: m.type == msg_type, on=msg_type)

    @staticmethod
    def quick(handler: Handler) -> Handler:
        """Mark a handler that does no I/O and so always answers within the reply budget:
        it runs on the request thread, sparing the pool handoff (two thread switches)."""
        handler.quick = True
        return handler

    @staticmethod
    def pure(handler: Handler) -> Handler:
        """Mark a handler without side effects (it only reads): a re-delivery may run it
        again, so its reply is not stored for re-deliveries (bot/dedup.py, state P) —
        unless a conversation is open, which may take the message as its answer. A pure
        handler answers: it never returns PASS (the turn would reach a handler that may
        not be pure)."""
        handler.pure = True
        return handler

    @staticmethod
    def cached(handler: Handler) -> Handler:
        """A pure handler whose reply may be served from Redis while what it read stands
        still (it says what that is with turn.cache_reply; bot/reply_cache.py)."""
        handler.pure = handler.cached = True
        return handler

    def fallback_text(self, handler: Handler) -> Handler:
        self.fallback = handler
        return handler

    def arrange(self, modules: tuple[str, ...]) -> None:
        """Order routes and commands by the routing table `modules` (stable within a
        module). A module that registers routes but is missing from the table is an
        error: its place in the order would be a guess. Done once per process."""
        if self.arranged == modules:
            return
        rank = {module: i for i, module in enumerate(modules)}
        unlisted = sorted({r.module for r in self.routes} - rank.keys())
        if unlisted:
            raise LookupError(f"handler modules {unlisted} register routes but are not in handlers.ROUTING")
        self.routes.sort(key=lambda r: rank[r.module])
        self.commands.sort(key=lambda c: rank[c.module])
        self.arranged = modules

    def _index(self) -> None:
        # Rebuilt whenever the routes list changed (tests insert routes of their own).
        if self._indexed == self.routes:
            return
        self._words, self._tested = {}, {}
        for i, route in enumerate(self.routes):
            for word in route.words or ():
                self._words.setdefault(word, []).append(i)
        self._indexed = list(self.routes)

    def _to_test(self, msg_type: str) -> list[int]:
        found = self._tested.get(msg_type)
        if found is None:
            found = self._tested[msg_type] = [i for i, r in enumerate(self.routes)
                                               if r.words is None and r.on in (None, msg_type)]
        return found

    def candidates(self, msg: Message, *, fallback: bool = True):
        """Every (handler, regex match) whose route takes the message, in routing order,
        then the fallback for text (unless fallback=False). Exact keywords are looked up
        (their routes take the message without a test); only the other routes that can
        take this message type are tested."""
        self._index()
        is_text = msg.type == "text"
        words = self._words.get(msg.content.lower(), ()) if is_text else ()
        for i in heapq.merge(words, self._to_test(msg.type)):
            route = self.routes[i]
            if route.words is not None:
                yield route.handler, None
                continue
            hit = route.test(msg)
            if hit:
                yield route.handler, (hit if isinstance(hit, re.Match) else None)
        if fallback and is_text and self.fallback is not None:
            yield self.fallback, None

    def resolve(self, msg: Message, *, fallback: bool = True) -> tuple[Handler, re.Match | None] | None:
        """The first handler for a message and the regex match, if any; text no route
        takes goes to the fallback (unless fallback=False)."""
        return next(self.candidates(msg, fallback=fallback), None)

    def run(self, turn: Turn, *, fallback: bool = True) -> tuple[bool, Any]:
        """Run the first handler that takes the turn (one returning PASS hands it on):
        (handled, reply); (False, None) when no route takes it."""
        for handler, match in self.candidates(turn.msg, fallback=fallback):
            turn.match = match
            reply = handler(turn)
            if reply is not PASS:
                return True, reply
        return False, None


router = Router()
