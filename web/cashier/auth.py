"""Who is at the till: the staff login in the Flask session, CSRF tokens, login rate limit.

The session cookie carries the staff id and a per-session CSRF token; every request
reloads the Staff row, so deactivating a login takes effect at the next click. Forms
post the token as `csrf_token`; the page's fetch calls send it as X-CSRF-Token.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from flask import abort, jsonify, redirect, request, session, url_for

from extensions import db, get_redis
from models import Staff

SESSION_KEY = "cashier_staff_id"
# A login lasts one long shift at most, whatever the cookie's own lifetime.
SHIFT_SECONDS = 12 * 3600
LOGIN_FAILURES = 5
LOGIN_WINDOW = 300


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(sent: str | None) -> bool:
    expected = session.get("csrf")
    # As bytes: compare_digest raises TypeError on a str with non-ASCII characters.
    return bool(expected and sent and hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace")))


def same_origin() -> bool:
    """False when the browser says the request comes from another site (Origin or Referer)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True  # not a browser, or a privacy setting: the CSRF token still guards
    # Host only, not scheme: behind a TLS-terminating proxy the app itself sees http.
    return urlsplit(source).netloc == request.host


def current_staff() -> Staff | None:
    """The logged-in, active member of staff of this request, or None. Not cached on `g`
    (tests share one app context across requests); the session's identity map makes
    the repeated lookup free."""
    staff_id, since = session.get(SESSION_KEY), session.get("login_at", 0)
    if not staff_id or time.time() - since >= SHIFT_SECONDS:
        return None
    staff = db.session.get(Staff, staff_id)
    return staff if staff is not None and staff.active else None


def log_in(staff: Staff) -> None:
    # A fresh session: nothing from before the login (fixation) survives it.
    session.clear()
    session[SESSION_KEY] = staff.id
    session["login_at"] = int(time.time())
    csrf_token()


def log_out() -> None:
    session.clear()


def page_login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_staff() is None:
            return redirect(url_for("cashier.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def api_error(code: str, message: str, status: int):
    return jsonify(error={"code": code, "message": message}), status


def api_login_required(view):
    """JSON endpoints: a logged-in session, and for writes the CSRF header from the same origin."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_staff() is None:
            return api_error("login_required", "请先登录", 401)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            if not same_origin() or not csrf_ok(request.headers.get("X-CSRF-Token")):
                return api_error("csrf_failed", "页面已过期，请刷新后重试", 403)
        return view(*args, **kwargs)
    return wrapper


def require_form_csrf() -> None:
    if not same_origin() or not csrf_ok(request.form.get("csrf_token")):
        abort(400, description="页面已过期，请刷新后重试")


def _failure_key(username: str) -> str:
    # Hashed: the key names no username in Redis; the IP is per client.
    who = hashlib.sha256(f"{username}|{request.remote_addr}".encode()).hexdigest()[:32]
    return f"cashier:login-fail:{who}"


def login_blocked(username: str) -> bool:
    """True after LOGIN_FAILURES failures for this username from this address in the window."""
    return int(get_redis().get(_failure_key(username)) or 0) >= LOGIN_FAILURES


def record_failure(username: str) -> None:
    redis, key = get_redis(), _failure_key(username)
    # The window starts at the first failure (EXPIRE NX needs Redis 7; the embedded one is 6).
    if redis.incr(key) == 1 or redis.ttl(key) == -1:
        redis.expire(key, LOGIN_WINDOW)


def clear_failures(username: str) -> None:
    get_redis().delete(_failure_key(username))


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path of this page, never another site."""
    if target and target.startswith("/cashier") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("cashier.screen")
