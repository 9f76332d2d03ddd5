"""Deduplication of WeChat's re-deliveries.

WeChat re-sends a message up to three times when it gets no answer within 5 s. Each
delivery key (see Message.dedup_key) has one state in Redis, changed only by the atomic
scripts below:

    R        the first delivery's handler is running
    H        running, and its result must go out as a customer-service message
             (a re-delivery came, or the reply budget ran out)
    D<json>  done; <json> is the reply (or null), served again to any re-delivery
"""
from __future__ import annotations

import json

from bot.replies import Reply, from_dict
from extensions import get_redis

# KEYS[1] = state key. Returns nil for a new delivery (now R), else the state seen.
_CLAIM = """
local s = redis.call('GET', KEYS[1])
if not s then redis.call('SET', KEYS[1], 'R', 'EX', ARGV[1]) return nil end
if s == 'R' then redis.call('SET', KEYS[1], 'H', 'KEEPTTL') return 'H' end
return s
"""
# _CLAIM for a message, plus what the webhook needs about its member in the same round
# trip (each round trip costs a thread switch and a GIL hand-back under load):
# KEYS[2] = last-seen key, set to ARGV[2] for ARGV[3] s; KEYS[3] = conversation key, read.
# Returns {state or false, conversation or false}.
_CLAIM_MESSAGE = """
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
local conv = redis.call('GET', KEYS[3])
local s = redis.call('GET', KEYS[1])
if not s then redis.call('SET', KEYS[1], 'R', 'EX', ARGV[1]) return {false, conv} end
if s == 'R' then redis.call('SET', KEYS[1], 'H', 'KEEPTTL') return {'H', conv} end
return {s, conv}
"""
# The handler finished. Returns 1 when the reply was handed off (send it yourself).
_FINISH = """
local s = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'D' .. ARGV[1], 'EX', ARGV[2])
if s == 'H' then return 1 end
return 0
"""
# The reply budget ran out. Returns the done state if the handler beat us to it.
_HANDOFF = """
local s = redis.call('GET', KEYS[1])
if s == 'R' then redis.call('SET', KEYS[1], 'H', 'KEEPTTL') return 'H' end
return s
"""


class Delivery:
    """The outcome of claiming a delivery key."""

    def __init__(self, state: bytes | None, conversation: bytes | None = None):
        self.state = state.decode() if isinstance(state, bytes) else state
        self.conversation = conversation  # raw conversation state, from claim_message

    @property
    def first(self) -> bool:
        return self.state is None

    @property
    def done(self) -> bool:
        return bool(self.state) and self.state.startswith("D")

    def reply(self) -> Reply | None:
        data = json.loads(self.state[1:])
        return from_dict(data) if data else None


def _key(dedup_key: str) -> str:
    return f"wx:dedup:{dedup_key}"


def claim(dedup_key: str, ttl: int) -> Delivery:
    r = get_redis()
    return Delivery(r.register_script(_CLAIM)(keys=[_key(dedup_key)], args=[ttl]))


def claim_message(dedup_key: str, ttl: int, *, seen_key: str, seen_value: int, seen_ttl: int,
                  conversation_key: str) -> Delivery:
    """claim(), and in the same round trip set the member's last-seen key and read their
    conversation state (Delivery.conversation)."""
    script = get_redis().register_script(_CLAIM_MESSAGE)
    state, conv = script(keys=[_key(dedup_key), seen_key, conversation_key], args=[ttl, seen_value, seen_ttl])
    return Delivery(state, conv)


def finish(dedup_key: str, reply: Reply | None, ttl: int) -> bool:
    payload = json.dumps(reply.to_dict() if reply else None, ensure_ascii=False)
    return bool(get_redis().register_script(_FINISH)(keys=[_key(dedup_key)], args=[payload, ttl]))


def handoff(dedup_key: str) -> Delivery:
    return Delivery(get_redis().register_script(_HANDOFF)(keys=[_key(dedup_key)]))


def forget(dedup_key: str) -> None:
    get_redis().delete(_key(dedup_key))
