"""Replies of read-only commands kept in Redis, good while what they were read from stands still.

A route declared `@router.cached` (a pure handler: it only reads) may say, when it
answers, which counters its reply depends on and until when time alone leaves it right:

    turn.cache_reply(watch=[...Redis keys of counters...], until=<unix time or None>)

The dispatcher keeps the reply under `key(...)` — the route, the templates' version and
the openid — with the counters' values. The next message from that openid is answered
from the cache inside the dedup claim's own Redis round trip (bot/dedup.py reads the
entry and compares the counters there), so a cached reply costs no database work and
no thread handoff. Anything that writes what the reply was read from moves a counter
after its commit (loyalty/generations.py), and the copy is no longer served.

Why the counters' values are the ones read by the claim, before the handler read the
database: a value read after the database could already include a change whose rows the
handler did not see. The claim reads the counters the openid's previous entry named; when
the handler's reply depends on the same counters (the usual case) it is stored with
them, otherwise only the names are stored (a hint) and the next message stores the reply.

An operator's edit of a reply text (loyalty.config_changes.save_reply_text) moves the `all`
counter after its commit, which every cached reply depending on set-based jobs watches.

Entries live at most WECHAT_REPLY_CACHE_TTL seconds (capped at a day: the counters outlive
any entry, loyalty.generations.COUNTER_TTL), and never past `until`. The templates' version is
in the key, so a new wording is never hidden behind an old copy.
"""
from __future__ import annotations

import hashlib
import json
import time

from flask import Flask

MAX_TTL = 24 * 3600


def init_app(app: Flask) -> None:
    """The version of the reply templates, part of every key."""
    digest = hashlib.sha1()
    loader = app.jinja_env.loader
    for name in sorted(n for n in loader.list_templates() if n.startswith("replies/")):
        digest.update(name.encode())
        digest.update(loader.get_source(app.jinja_env, name)[0].encode())
    app.extensions["reply_cache_version"] = digest.hexdigest()[:12]


def key(app: Flask, handler, openid: str) -> str:
    return f"wx:reply:{app.extensions['reply_cache_version']}:{handler.__module__}.{handler.__name__}:{openid}"


def entry(text: str, watch: list[str], until: float | None, seen: tuple[list[str], list[str]] | None,
          ttl: int, now: float | None = None) -> tuple[str, int] | None:
    """(what to store, its TTL in seconds) for a reply depending on `watch`, given the
    counters the claim read (`seen`: their keys and values), or None when it must not
    be stored (already past `until`)."""
    now = time.time() if now is None else now
    seconds = min(ttl, MAX_TTL)
    if until is not None:
        seconds = min(seconds, int(until - now))
    if seconds < 1:
        return None
    watch = sorted(watch)
    if seen is not None and seen[0] == watch:
        return json.dumps({"deps": watch, "gens": seen[1], "text": text}, ensure_ascii=False), seconds
    return json.dumps({"deps": watch}), seconds  # a hint: the next claim reads these counters
