"""One-time SMS codes that prove a phone for an openid (the bind flow).

`issue` counts the send against the limits first (loyalty/rate_limit.py, the service's one
limiter: it is plain Redis under the app's config, no request needed), then keeps the
code HMAC-ed with SECRET_KEY in Redis for PHONE_CODE_TTL seconds; `verify` compares in
constant time and kills the code after PHONE_CODE_MAX_TRIES wrong answers. Sending the
SMS is the caller's (loyalty knows nothing of channels). Nothing here touches the database.

Limits, each checked in this order (SMS_* settings, `limits` notation):
    SMS_INTERVAL_RATE_LIMIT  per phone and per openid ("1 per minute")
    SMS_PHONE_RATE_LIMIT     per phone ("5 per hour")
    SMS_OPENID_RATE_LIMIT    per openid over all phones ("5 per hour": one openid cannot
                             spray codes at many phones)
A send refused by the interval does not count against the hourly limits.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from flask import current_app

from extensions import get_redis
from loyalty import rate_limit


@dataclass(frozen=True)
class Issued:
    """A code to send (`wait` 0), or none and the seconds until a send is allowed again."""

    code: str | None
    wait: int = 0


class Verdict(StrEnum):
    OK = "ok"            # the code proves the phone; it is used up
    WRONG = "wrong"      # not the code; `tries_left` more answers allowed
    DEAD = "dead"        # too many wrong answers: the code is gone, ask for a new one
    EXPIRED = "expired"  # no live code (never sent, expired, used or dead)


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    phone: str | None = None
    tries_left: int = 0


def _key(openid: str) -> str:
    return "phonecode:" + hashlib.sha256(openid.encode()).hexdigest()[:32]


def _digest(openid: str, phone: str, code: str) -> str:
    # Bound to the openid and phone: a code proves this phone for this openid only.
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"youka/phone-code/{openid}/{phone}/{code}".encode(), hashlib.sha256).hexdigest()


def _refused(openid: str, phone: str) -> int:
    cfg = current_app.config
    for scope, who in (("sms_interval_phone", phone), ("sms_interval_openid", openid)):
        wait = rate_limit.hit(scope, cfg["SMS_INTERVAL_RATE_LIMIT"], who)
        if wait:
            return wait
    for scope, rule, who in (("sms_phone", cfg["SMS_PHONE_RATE_LIMIT"], phone),
                             ("sms_openid", cfg["SMS_OPENID_RATE_LIMIT"], openid)):
        wait = rate_limit.hit(scope, rule, who)
        if wait:
            return wait
    return 0


def issue(openid: str, phone: str) -> Issued:
    """A new 6-digit code for `phone` (normalised) asked by `openid`, replacing any earlier
    one, or the wait when a send limit refuses."""
    wait = _refused(openid, phone)
    if wait:
        return Issued(None, wait)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    key = _key(openid)
    pipe = get_redis().pipeline()
    pipe.delete(key)
    pipe.hset(key, mapping={"phone": phone, "digest": _digest(openid, phone, code), "tries": 0})
    pipe.expire(key, int(current_app.config["PHONE_CODE_TTL"]))
    pipe.execute()
    return Issued(code)


def verify(openid: str, code: str) -> Checked:
    """Check the member's answer against the live code of `openid`."""
    redis, key = get_redis(), _key(openid)
    record = {k.decode(): v.decode() for k, v in redis.hgetall(key).items()}
    if not record.get("digest"):
        return Checked(Verdict.EXPIRED)
    phone = record["phone"]
    if hmac.compare_digest(record["digest"], _digest(openid, phone, code)):
        # Deleted before it is acted on: a code works once.
        return Checked(Verdict.OK, phone) if redis.delete(key) else Checked(Verdict.EXPIRED)
    tries = redis.hincrby(key, "tries", 1)
    allowed = int(current_app.config["PHONE_CODE_MAX_TRIES"])
    if tries >= allowed:
        redis.delete(key)
        return Checked(Verdict.DEAD, phone)
    return Checked(Verdict.WRONG, phone, allowed - tries)


def forget(openid: str) -> None:
    """Drop the openid's live code (the flow was cancelled or finished)."""
    get_redis().delete(_key(openid))
