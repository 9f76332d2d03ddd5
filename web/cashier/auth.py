"""Who is at the till: the staff login in the session, CSRF tokens, the login rate limit.

The session lives in Redis (web/sessions.py), owned by "staff:<id>"; the cookie is only
its id. It holds the staff id, the login time and a per-session CSRF token; every
request reloads the Staff row, so deactivating a login takes effect at the next click,
and `end_staff_sessions` (called by `flask staff deactivate`) deletes its sessions, so
no copy of a cookie comes back even if the login is reactivated. Forms post the token
as `csrf_token`; the page's fetch calls send it as X-CSRF-Token.
"""
from __future__ import annotations

import functools
import time

from flask import abort, current_app, jsonify, redirect, request, session, url_for

from extensions import db
from models import Staff
from loyalty import rate_limit
from web import sessions
# One CSRF mechanism for every face (web/csrf.py); re-exported for the cashier's modules.
from web.csrf import csrf_ok, csrf_token, same_origin  # noqa: F401

SESSION_KEY = "staff_id"
# A login lasts one long shift at most, whatever the session's own lifetime.
SHIFT_SECONDS = 12 * 3600


def current_staff() -> Staff | None:
    """The logged-in, active member of staff of this request, or None. Not cached on `g`
    (tests share one app context across requests); the session's identity map makes
    the repeated lookup free."""
    staff_id, since = session.get(SESSION_KEY), session.get("login_at", 0)
    if not staff_id or time.time() - since >= SHIFT_SECONDS:
        return None
    staff = db.session.get(Staff, staff_id)
    return staff if staff is not None and staff.active else None


def staff_owner(staff_id: int) -> str:
    """The owner name of a member of staff's sessions (web/sessions.py)."""
    return f"staff:{staff_id}"


def log_in(staff: Staff) -> None:
    # A fresh session under a new id: nothing from before the login (fixation) survives it.
    sessions.begin(staff_owner(staff.id), **{SESSION_KEY: staff.id, "login_at": int(time.time())})
    csrf_token()


def log_out() -> None:
    sessions.end()


def end_staff_sessions(staff_id: int) -> int:
    """End every session of this member of staff (deactivation); returns how many were live."""
    return sessions.end_all(staff_owner(staff_id))


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


def login_attempt(username: str) -> int:
    """Count this login attempt, before the password is checked; 0 if it may go on, else
    the seconds to wait. Limits: LOGIN_RATE_LIMIT per username and client address (a
    guesser at one till cannot lock the cashier out everywhere), LOGIN_IP_RATE_LIMIT per
    address over all usernames (one password sprayed across many logins)."""
    config, address = current_app.config, request.remote_addr or ""
    return max(rate_limit.hit("login-ip", config["LOGIN_IP_RATE_LIMIT"], address),
               rate_limit.hit("login", config["LOGIN_RATE_LIMIT"], username, address))


def login_succeeded(username: str) -> None:
    """A good password clears that username's count from this address (not the address's)."""
    rate_limit.clear("login", current_app.config["LOGIN_RATE_LIMIT"], username, request.remote_addr or "")


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path of this page, never another site."""
    if target and target.startswith("/cashier") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("cashier.screen")
