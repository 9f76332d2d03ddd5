"""Who is at the till: the staff login (web/staff_login.py, shared with the console),
CSRF tokens, the login rate limit.

The login is Flask-Login over the Redis-backed session (web/sessions.py), owned by
"staff:<id>"; the cookie is only its id. Every request reloads the Staff row, so
deactivating a login takes effect at the next click, and `end_staff_sessions` (called by
`flask staff deactivate`) deletes its sessions. Forms post the CSRF token as
`csrf_token`; the page's fetch calls send it as X-CSRF-Token.
"""
from __future__ import annotations

import functools

from flask import abort, jsonify, redirect, request, url_for

# One login system and one CSRF mechanism for every staff face; re-exported for the
# cashier's modules.
from web.csrf import csrf_ok, csrf_token, same_origin  # noqa: F401
from web.staff_login import (SHIFT_SECONDS, current_staff, end_staff_sessions, log_in,  # noqa: F401
                             log_out, login_attempt, login_succeeded, staff_owner)
from web.staff_login import safe_next as _safe_next


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


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of the till or the console, never another site."""
    return _safe_next(target, url_for("cashier.screen"))
