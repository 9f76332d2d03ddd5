"""One token bucket in Redis shared by every worker: WeChat's call rate, and the daily
quota of an API (template messages: 100,000 a day by default).

`take(api, n, quota_api=...)` grants up to n calls now from the bucket `api` (blocking
briefly while it refills) and, when `quota_api` is given, counts them against that API's
daily quota and says how many the quota refused; those wait for the next day (the caller
defers them, in order). WeChat's daily quota is per API: calls of an API without one
(customer-service messages, subscription notices) take only from the bucket. One Lua
script per take: refill by elapsed time (Redis's clock, so every worker agrees), spend,
count against the day's quota.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")

_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local left = want
if KEYS[2] ~= '' then
  left = math.max(0, limit - tonumber(redis.call('GET', KEYS[2]) or '0'))
end
local grant = math.min(want, math.floor(tokens), left)
tokens = tokens - grant
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
if grant > 0 and KEYS[2] ~= '' then
  redis.call('INCRBY', KEYS[2], grant)
  redis.call('EXPIRE', KEYS[2], 172800)
end
return {grant, left - grant}
"""


@dataclass(frozen=True)
class Grant:
    granted: int
    over_quota: int   # refused by the day's quota: wait for tomorrow


class Throttle:
    def __init__(self, redis_client, rate_per_second: float, daily_quota: int, burst: float | None = None):
        self.redis = redis_client
        self.rate = float(rate_per_second)
        self.burst = float(burst if burst is not None else max(rate_per_second, 1))
        self.quota = int(daily_quota)
        self._script = redis_client.register_script(_TAKE)

    def quota_key(self, api: str, now: datetime | None = None) -> str:
        day = (now or datetime.now(BUSINESS_TZ)).astimezone(BUSINESS_TZ).strftime("%Y%m%d")
        return f"wechat:quota:{api}:{day}"

    def quota_left(self, api: str, now: datetime | None = None) -> int:
        used = int(self.redis.get(self.quota_key(api, now)) or 0)
        return max(0, self.quota - used)

    def take(self, api: str, n: int, now: datetime | None = None, max_wait: float = 30.0,
             quota_api: str | None = None) -> Grant:
        """Up to `n` calls, waiting for the bucket at most `max_wait` seconds in all;
        counted against `quota_api`'s daily quota when given."""
        granted, deadline = 0, time.monotonic() + max_wait
        quota_key = self.quota_key(quota_api, now) if quota_api else ""
        while granted < n:
            got, left = self._script(keys=[f"wechat:bucket:{api}", quota_key],
                                     args=[self.rate, self.burst, n - granted, self.quota])
            granted += int(got)
            if granted < n and int(left) == 0:
                return Grant(granted, n - granted)
            if granted < n:
                if time.monotonic() > deadline:
                    break
                time.sleep(min(1.0, max(0.005, (n - granted) / self.rate / 4)))
        return Grant(granted, 0)
