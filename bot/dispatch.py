"""Running a handler for one delivery: dedup, the reply budget, errors.

The handler runs on a thread of the app's pool while the request waits at most
WECHAT_REPLY_BUDGET seconds. A handler that takes longer is handed off: WeChat gets
`success` now, and the handler's reply goes out as a customer-service message (through
an RQ job) when it is ready. A re-delivery of a message never runs a handler with side
effects again: it gets the first delivery's stored reply.

Cheaper paths, for the commands members send most:
- a quick handler (bot.router.quick: no I/O) runs on the request thread, not the pool;
- a pure one (bot.router.pure: it only reads) with no conversation open is run for every
  delivery, so its reply is not stored (one Redis round trip per message, the claim);
- a cached one (bot.router.cached, bot/reply_cache.py) is answered from the cache entry
  the claim read, when what it depends on has not moved; else it runs and refills it.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Flask, current_app

from bot import conversation, dedup, reply_cache
from bot.messages import Message
from bot.replies import Reply, Text, as_reply
from bot.router import Turn, router

log = logging.getLogger("youka.bot")

APOLOGY = "抱歉，系统开小差了，请稍后再试。如需帮助请回复「帮助」。"


def init_app(app: Flask) -> None:
    app.extensions["wechat_pool"] = ThreadPoolExecutor(max_workers=32, thread_name_prefix="wechat")


def route(turn: Turn, raw_conversation=conversation.UNREAD):
    """Run the handler for a turn: the member's open conversation takes it first, else
    the routes in order (bot.router.run). Returns what the handler returned."""
    handled, reply = conversation.take_turn(turn, raw_conversation)
    if handled:
        return reply
    return router.run(turn)[1]


def _answer(turn: Turn, found, raw_conversation):
    # A pure handler (found, with no conversation open) answers by itself: it never hands
    # the turn on (bot.router.pure); anything else is routed.
    if found is None:
        return route(turn, raw_conversation)
    handler, turn.match = found
    return handler(turn)


def _failed(app: Flask, msg: Message, key: str) -> Reply:
    log.exception("handler failed for %s message %s", msg.type, key,
                  extra={"msg_type": msg.type, "event": msg.event, "dedup_key": key})
    if app.config["TESTING"]:
        dedup.forget(key)
        raise
    return Text(APOLOGY)


def _run(app: Flask, msg: Message, raw_conversation=conversation.UNREAD, cache_key: str = "",
         counters=None, pure=None) -> Reply | None:
    """Run the handler on a pool thread, then store its reply for re-deliveries (and a
    cached handler's reply in its cache, same round trip); a reply handed off meanwhile
    goes out as a customer-service message."""
    key = msg.dedup_key()
    ttl = app.config["WECHAT_DEDUP_TTL"]
    with app.app_context():
        turn = Turn(msg)
        try:
            reply = as_reply(_answer(turn, pure, raw_conversation))
        except Exception:
            reply = _failed(app, msg, key)
        cache = None
        if cache_key and turn.cache is not None and isinstance(reply, Text):
            stored = reply_cache.entry(reply.content, turn.cache[0], turn.cache[1], counters,
                                       app.config["WECHAT_REPLY_CACHE_TTL"])
            cache = (cache_key, *stored) if stored else None
        if dedup.finish(key, reply, ttl, cache) and reply is not None:
            from jobs.wechat import enqueue_customer_message
            enqueue_customer_message(msg.openid, reply)
        return reply


def _run_here(app: Flask, msg: Message, found) -> Reply | None:
    """A quick, pure handler on the request thread, inside the request's app context: no
    thread handoff, and nothing stored afterwards (a re-delivery runs it again)."""
    turn = Turn(msg)
    handler, turn.match = found
    try:
        return as_reply(handler(turn))
    except Exception:
        return _failed(app, msg, msg.dedup_key())


# Events that open WeChat's short customer-service window (3 messages within a minute):
# a menu tap (the menu types WeChat counts), a follow, a scan. Other events (LOCATION
# reports, TEMPLATESENDJOBFINISH, subscription-notice events, unsubscribe) are no
# member activity and open nothing; any message the member sends opens the 48 hours.
TAP_EVENTS = frozenset({"click", "view", "scancode_push", "scancode_waitmsg", "subscribe", "scan"})
TAP_TTL = 120  # the window is 60 s; loyalty.notices.policy checks the moment itself


def activity_key(msg: Message) -> tuple[str, int]:
    """The Redis key noting this member's activity for the customer-service windows, and
    its TTL: `wx:seen:<openid>` (48 h) for a message, `wx:tap:<openid>` for a tap,
    follow or scan, ("", 0) for any other event (loyalty/notices/recipients.py reads them)."""
    if msg.type != "event":
        return f"wx:seen:{msg.openid}", 48 * 3600
    if msg.event in TAP_EVENTS:
        return f"wx:tap:{msg.openid}", TAP_TTL
    return "", 0


def handle(msg: Message) -> Reply | None:
    """The reply to send back to WeChat for this delivery, within the budget."""
    app = current_app._get_current_object()
    key = msg.dedup_key()
    found = router.resolve(msg)  # the first route's handler; an open conversation may still take the message
    handler = found[0] if found else None
    cache_key = reply_cache.key(app, handler, msg.openid) if getattr(handler, "cached", False) else ""
    # One round trip: claim the delivery, note the member's activity (for the
    # customer-service windows), read their conversation state, and for a cached
    # handler its cached reply.
    seen_key, seen_ttl = activity_key(msg)
    seen = dedup.claim_message(key, app.config["WECHAT_DEDUP_TTL"], seen_key=seen_key,
                               seen_value=int(time.time()), seen_ttl=max(seen_ttl, 1),
                               conversation_key=conversation.state_key(msg.openid),
                               pure=getattr(handler, "pure", False),
                               cache_key=cache_key)
    if seen.pure:
        # No conversation, a handler that only reads: whichever delivery this is, answer.
        if seen.cached is not None:
            return Text(seen.cached)
        if getattr(handler, "quick", False):
            return _run_here(app, msg, found)
        return _in_pool(app, msg, key, None, cache_key, seen.counters, found)
    if not seen.first:
        # A re-delivery: the cached reply, or nothing while the first still runs
        # (its reply is now handed off to a customer-service message).
        return seen.reply() if seen.done else None
    if seen.conversation is None and getattr(handler, "quick", False):
        return _run(app, msg, None)
    return _in_pool(app, msg, key, seen.conversation)


def _in_pool(app: Flask, msg: Message, key: str, raw_conversation, cache_key: str = "",
             counters=None, pure=None) -> Reply | None:
    future = app.extensions["wechat_pool"].submit(_run, app, msg, raw_conversation, cache_key, counters, pure)
    try:
        return future.result(timeout=app.config["WECHAT_REPLY_BUDGET"])
    except FutureTimeout:
        late = dedup.handoff(key)
        if late.done:
            return late.reply()
        log.warning("handler for %s passed the reply budget; the reply will follow as a "
                    "customer-service message", key)
        return None
