"""Deduplication of WeChat's re-deliveries.

WeChat re-sends a message up to three times when it gets no answer within 5 s. Each
delivery key (see Message.dedup_key) has one state in Redis, changed only by the atomic
scripts below:

    R        the first delivery's handler is running
    P        a pure handler's delivery (it only reads: bot.router.pure) with no
             conversation open: every delivery runs it, and no reply needs storing
    H        running, and its result must go out as a customer-service message
             (a re-delivery came, or the reply budget ran out)
    D<json>  done; <json> is the reply (or null), served again to any re-delivery

The scripts are registered once per app (extensions.redis_script): each call is one
EVALSHA round trip.
"""
from __future__ import annotations

import json

from bot.replies import Reply, from_dict
from extensions import get_redis, redis_script

# KEYS[1] = state key. Returns nil for a new delivery (now R), else the state seen.
_CLAIM = """
local s = redis.call('GET', KEYS[1])
if not s then redis.call('SET', KEYS[1], 'R', 'EX', ARGV[1]) return nil end
if s == 'R' then redis.call('SET', KEYS[1], 'H', 'KEEPTTL') return 'H' end
return s
"""
# _CLAIM for a message, plus what the webhook needs about its member in the same round
# trip (each round trip costs a thread switch and a GIL hand-back under load):
# KEYS[2] = last-seen key, set to ARGV[2] for ARGV[3] s ('' for none: an event that is
# no member activity); KEYS[3] = conversation key, read.
# ARGV[4] = '1' when the message's handler is pure: with no conversation open the state
# is P (new or not), and KEYS[4], when not '', is the handler's reply-cache entry
# (bot/reply_cache.py), checked here against the counters it names. The counters are
# read on the fly (their names are in the entry): fine on one Redis, Sentinel or a
# managed Redis, not on Redis Cluster.
# Returns {state or false, conversation or false, cached text or false,
#          [counter keys, their values now] as JSON or false}.
_CLAIM_MESSAGE = """
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
local conv = redis.call('GET', KEYS[3])
local s = redis.call('GET', KEYS[1])
if not s then
  if ARGV[4] ~= '1' or conv then redis.call('SET', KEYS[1], 'R', 'EX', ARGV[1]) return {false, conv} end
  s = 'P'
  redis.call('SET', KEYS[1], 'P', 'EX', ARGV[1])
elseif s == 'R' then
  redis.call('SET', KEYS[1], 'H', 'KEEPTTL') return {'H', conv}
end
if s ~= 'P' or KEYS[4] == '' then return {s, conv} end
local raw = redis.call('GET', KEYS[4])
if not raw then return {s, conv} end
local e = cjson.decode(raw)
local now = redis.call('MGET', unpack(e.deps))
local fresh = e.text ~= nil and e.gens ~= nil
local gens = {}
for i = 1, #e.deps do
  gens[i] = now[i] or '0'
  if fresh and gens[i] ~= e.gens[i] then fresh = false end
end
if fresh then return {s, conv, e.text} end
return {s, conv, false, cjson.encode({e.deps, gens})}
"""
# The handler finished. Returns 1 when the reply was handed off (send it yourself).
# KEYS[2], when given: the reply-cache entry to set to ARGV[3] for ARGV[4] s.
_FINISH = """
local s = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'D' .. ARGV[1], 'EX', ARGV[2])
if KEYS[2] then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4]) end
if s == 'H' then return 1 end
return 0
"""
# The reply budget ran out. Returns the done state if the handler beat us to it.
_HANDOFF = """
local s = redis.call('GET', KEYS[1])
if s == 'R' or s == 'P' then redis.call('SET', KEYS[1], 'H', 'KEEPTTL') return 'H' end
return s
"""


class Delivery:
    """The outcome of claiming a delivery key."""

    def __init__(self, state: bytes | None, conversation: bytes | None = None, cached: bytes | None = None,
                 counters: bytes | None = None):
        self.state = state.decode() if isinstance(state, bytes) else state
        self.conversation = conversation  # raw conversation state, from claim_message
        # A pure handler's cached reply text, or else the counters its entry names and
        # their values as the claim read them (keys, values), from claim_message.
        self.cached = cached.decode() if isinstance(cached, bytes) else cached
        self.counters: tuple[list[str], list[str]] | None = tuple(json.loads(counters)) if counters else None

    @property
    def first(self) -> bool:
        return self.state is None

    @property
    def pure(self) -> bool:
        return self.state == "P"

    @property
    def done(self) -> bool:
        return bool(self.state) and self.state.startswith("D")

    def reply(self) -> Reply | None:
        data = json.loads(self.state[1:])
        return from_dict(data) if data else None


def _key(dedup_key: str) -> str:
    return f"wx:dedup:{dedup_key}"


def claim(dedup_key: str, ttl: int) -> Delivery:
    return Delivery(redis_script(_CLAIM)(keys=[_key(dedup_key)], args=[ttl]))


def claim_message(dedup_key: str, ttl: int, *, seen_key: str, seen_value: int, seen_ttl: int,
                  conversation_key: str, pure: bool = False, cache_key: str = "") -> Delivery:
    """claim(), and in the same round trip set the member's last-seen key (unless it is
    "") and read their
    conversation state (Delivery.conversation). For a `pure` handler with no conversation
    open the state is P; then the reply-cache entry `cache_key` (if any) is read too
    (Delivery.cached, or Delivery.counters on a miss)."""
    found = redis_script(_CLAIM_MESSAGE)(keys=[_key(dedup_key), seen_key, conversation_key, cache_key],
                                         args=[ttl, seen_value, seen_ttl, "1" if pure else "0"])
    return Delivery(*found)


def finish(dedup_key: str, reply: Reply | None, ttl: int,
           cache: tuple[str, str, int] | None = None) -> bool:
    """Store the reply for re-deliveries (and, in the same round trip, `cache`: a reply-cache
    entry's key, value and TTL). True when the reply was handed off: send it yourself."""
    payload = json.dumps(reply.to_dict() if reply else None, ensure_ascii=False)
    keys, args = [_key(dedup_key)], [payload, ttl]
    if cache is not None:
        keys.append(cache[0])
        args += [cache[1], cache[2]]
    return bool(redis_script(_FINISH)(keys=keys, args=args))


def handoff(dedup_key: str) -> Delivery:
    return Delivery(redis_script(_HANDOFF)(keys=[_key(dedup_key)]))


def forget(dedup_key: str) -> None:
    get_redis().delete(_key(dedup_key))
