"""SMS: one small interface, a backend chosen by SMS_BACKEND (docs/sms.md).

    send(SmsMessage(to="13800001234", text="...", code="123456", purpose="bind"))

A backend is any object with `send(message)`; it raises SmsError when the provider
refuses. `console` (the default) sends nothing: it logs the message with the phone
masked and keeps it in an outbox that `flask sms outbox` prints, so development and the
tests read the code from there. A real provider is registered by name with `@backend`,
or named as "package.module:factory"; the factory gets the app and returns the backend.

The console outbox is a capped Redis list, not a table: it is a development aid holding
plaintext codes, which should never reach the database or its backups; the list keeps
the last OUTBOX_SIZE messages for OUTBOX_TTL seconds and needs no migration.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Protocol

from flask import Flask, current_app

from extensions import get_redis
from loyalty.people.members import mask_phone

log = logging.getLogger("youka.sms")

OUTBOX_KEY = "sms:outbox"
OUTBOX_SIZE = 500
OUTBOX_TTL = 24 * 3600


class SmsError(RuntimeError):
    """The provider did not take the message."""


@dataclass(frozen=True)
class SmsMessage:
    to: str                   # an 11-digit mainland mobile (loyalty.people.members.normalise_phone)
    text: str                 # the whole text, as the member reads it (templates/replies/...)
    code: str | None = None   # the verification code, for providers that fill their own template
    purpose: str = "bind"     # which provider template a real backend would use


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> None: ...


_BACKENDS: dict[str, Callable[[Flask], SmsBackend]] = {}


def backend(name: str):
    """Register a backend factory (a function of the app, or a class) under `name`."""
    def register(factory):
        _BACKENDS[name] = factory
        return factory
    return register


def _phone_key(phone: str) -> str:
    # The outbox is filtered by phone without keeping the phone itself.
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"youka/sms-outbox/" + phone.encode(), hashlib.sha256).hexdigest()[:24]


@backend("console")
class ConsoleBackend:
    """Development and tests: log (phone masked) and keep the message in the outbox."""

    def __init__(self, app: Flask):
        self.app = app

    def send(self, message: SmsMessage) -> None:
        entry = {"to": mask_phone(message.to), "text": message.text, "code": message.code,
                 "sent_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "phone_key": _phone_key(message.to)}
        redis = get_redis()
        pipe = redis.pipeline()
        pipe.lpush(OUTBOX_KEY, json.dumps(entry, ensure_ascii=False))
        pipe.ltrim(OUTBOX_KEY, 0, OUTBOX_SIZE - 1)
        pipe.expire(OUTBOX_KEY, OUTBOX_TTL)
        pipe.execute()
        log.info("SMS (console) to %s: %s", entry["to"], message.text)


def _factory(name: str) -> Callable[[Flask], SmsBackend]:
    if name in _BACKENDS:
        return _BACKENDS[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        return getattr(importlib.import_module(module), attr)
    raise ValueError(f"SMS_BACKEND {name!r} is unknown (known: {', '.join(sorted(_BACKENDS))}, "
                     "or 'package.module:factory')")


def send(message: SmsMessage) -> None:
    """Send through the configured backend (built once per app)."""
    app = current_app._get_current_object()
    sender = app.extensions.get("sms_backend")
    if sender is None:
        sender = app.extensions["sms_backend"] = _factory(app.config["SMS_BACKEND"])(app)
    sender.send(message)


def outbox(phone: str | None = None, last: int = 10) -> list[dict]:
    """The console backend's latest messages, oldest first, each {to, text, code, sent_at};
    only those to `phone` (normalised) when given."""
    rows = [json.loads(raw) for raw in get_redis().lrange(OUTBOX_KEY, 0, -1)]
    if phone is not None:
        key = _phone_key(phone)
        rows = [r for r in rows if r.get("phone_key") == key]
    return [{k: r[k] for k in ("to", "text", "code", "sent_at")} for r in reversed(rows[:max(last, 0)])]


def init_app(app: Flask) -> None:
    """Refuse to start with an unknown SMS_BACKEND; add `flask sms outbox`."""
    _factory(app.config["SMS_BACKEND"])
    from bot.channels.sms_cli import sms_cli
    app.cli.add_command(sms_cli)
