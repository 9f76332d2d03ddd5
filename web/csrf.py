"""CSRF for every web face that keeps a session (the cashier page, the member's H5 pages):
one mechanism, in one place.

A per-session token (made on first use, kept in the server-side session) that a form
posts as `csrf_token` and a fetch call sends as X-CSRF-Token, compared in constant time;
and, as a second guard, the browser's Origin (or Referer) must name this host. The
session cookie is SameSite=Lax as well (config.py), so a cross-site POST carries no
session in modern browsers; the token covers the others.
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import request, session

FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(sent: str | None) -> bool:
    expected = session.get("csrf")
    if not isinstance(sent, str):
        return False
    # As bytes: compare_digest raises TypeError on a str with non-ASCII characters.
    return bool(expected and sent and hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace")))


def same_origin() -> bool:
    """False when the browser says the request comes from another site (Origin or Referer)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True  # not a browser, or a privacy setting: the CSRF token still guards
    # Host only, not scheme: behind a TLS-terminating proxy the app itself sees http.
    return urlsplit(source).netloc == request.host


def write_allowed() -> bool:
    """A write may go on: same origin, and the session's token in the form or the header."""
    sent = request.headers.get(HEADER) or request.form.get(FORM_FIELD)
    return same_origin() and csrf_ok(sent)
