"""Running a handler for one delivery: dedup, the reply budget, errors.

The handler runs on a thread of the app's pool while the request waits at most
WECHAT_REPLY_BUDGET seconds. A handler that takes longer is handed off: WeChat gets
`success` now, and the handler's reply goes out as a customer-service message (through
an RQ job) when it is ready. A re-delivery of a message never runs the handler again.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Flask, current_app

from bot import conversation, dedup
from bot.messages import Message
from bot.replies import Reply, Text, as_reply
from bot.router import Turn, router

log = logging.getLogger("youka.bot")

APOLOGY = "抱歉，系统开小差了，请稍后再试。如需帮助请回复「帮助」。"


def init_app(app: Flask) -> None:
    app.extensions["wechat_pool"] = ThreadPoolExecutor(max_workers=32, thread_name_prefix="wechat")


def route(msg: Message, raw_conversation=conversation.UNREAD):
    """Pick and run the handler for a message; returns what the handler returned."""
    turn = Turn(msg)
    handled, reply = conversation.take_turn(turn, raw_conversation)
    if handled:
        return reply
    return router.run(turn)[1]


def _run(app: Flask, msg: Message, raw_conversation=conversation.UNREAD) -> Reply | None:
    key = msg.dedup_key()
    ttl = app.config["WECHAT_DEDUP_TTL"]
    with app.app_context():
        try:
            reply = as_reply(route(msg, raw_conversation))
        except Exception:
            log.exception("handler failed for %s message %s", msg.type, key,
                          extra={"msg_type": msg.type, "event": msg.event, "dedup_key": key})
            if app.config["TESTING"]:
                dedup.forget(key)
                raise
            reply = Text(APOLOGY)
        if dedup.finish(key, reply, ttl) and reply is not None:
            from jobs.wechat import enqueue_customer_message
            enqueue_customer_message(msg.openid, reply)
        return reply


def _is_quick(msg: Message) -> bool:
    found = router.resolve(msg)
    return found is not None and getattr(found[0], "quick", False)


def handle(msg: Message) -> Reply | None:
    """The reply to send back to WeChat for this delivery, within the budget."""
    app = current_app._get_current_object()
    key = msg.dedup_key()
    # One round trip: claim the delivery, note the member as seen (for the 48-hour
    # customer-service window), read their conversation state.
    seen = dedup.claim_message(key, app.config["WECHAT_DEDUP_TTL"], seen_key=f"wx:seen:{msg.openid}",
                               seen_value=int(time.time()), seen_ttl=48 * 3600,
                               conversation_key=conversation.state_key(msg.openid))
    if not seen.first:
        # A re-delivery: the cached reply, or nothing while the first still runs
        # (its reply is now handed off to a customer-service message).
        return seen.reply() if seen.done else None
    if seen.conversation is None and _is_quick(msg):
        return _run(app, msg, None)
    future = app.extensions["wechat_pool"].submit(_run, app, msg, seen.conversation)
    try:
        return future.result(timeout=app.config["WECHAT_REPLY_BUDGET"])
    except FutureTimeout:
        late = dedup.handoff(key)
        if late.done:
            return late.reply()
        log.warning("handler for %s passed the reply budget; the reply will follow as a "
                    "customer-service message", key)
        return None
