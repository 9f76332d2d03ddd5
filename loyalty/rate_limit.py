"""The service's one rate limiter: `limits` (the library under Flask-Limiter) on this app's Redis.

Use it for every limit — the staff login now; SMS sends, the H5 pages and the station API
per station later — rather than a counter of one's own:

    wait = rate_limit.hit("login", app.config["LOGIN_RATE_LIMIT"], username, address)
    if wait: ...refuse with 429 and Retry-After: wait...

`limits` and not Flask-Limiter's decorators: a caller must count an attempt *before* it
does the work (the login before it checks the password, so parallel guesses cannot all
pass the check) and key it by what it knows (a username from the form, a station, a
phone); `hit` does that in one atomic Redis call (a Lua INCRBY, with EXPIRE on the first
hit), from a view, a job or the station API alike. Windows are fixed and open at the
first hit. Rules are strings in limits' notation ("5 per 5 minutes"), read from settings
named *_RATE_LIMIT and checked when the app is built.
"""
from __future__ import annotations

import hashlib
import math
import time
from functools import lru_cache

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

from extensions import get_redis


@lru_cache(maxsize=64)
def _rule(text: str) -> RateLimitItem:
    return parse(text)


def init_app(app: Flask) -> None:
    """Refuse to start with a *_RATE_LIMIT setting that is not a rule."""
    for name, value in app.config.items():
        if name.endswith("_RATE_LIMIT"):
            try:
                _rule(value)
            except ValueError:
                raise ValueError(f"{name} must read like '5 per 5 minutes', got {value!r}") from None


def _limiter() -> FixedWindowRateLimiter:
    app = current_app._get_current_object()
    limiter = app.extensions.get("rate_limiter")
    if limiter is None:
        # On this app's own Redis connection pool (a unix socket for the embedded Redis).
        storage = RedisStorage("redis://", connection_pool=get_redis(app).connection_pool,
                               key_prefix="rate")
        limiter = app.extensions["rate_limiter"] = FixedWindowRateLimiter(storage)
    return limiter


def _identity(scope: str, parts: tuple[str, ...]) -> tuple[str, str]:
    # Hashed: Redis keys name no username or phone, and no value can forge a separator.
    return scope, hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def hit(scope: str, rule: str, *who: str) -> int:
    """Count one attempt of `scope` by `who` against `rule`. 0 while within the rule; once
    over it, the seconds until the window closes (at least 1, for Retry-After). Attempts
    refused still count, but never stretch the window."""
    item, key = _rule(rule), _identity(scope, who)
    limiter = _limiter()
    if limiter.hit(item, *key):
        return 0
    reset = limiter.get_window_stats(item, *key).reset_time
    return max(1, math.ceil(reset - time.time()))


def clear(scope: str, rule: str, *who: str) -> None:
    """Forget the attempts of `scope` by `who` (a login that succeeded)."""
    _limiter().clear(_rule(rule), *_identity(scope, who))
