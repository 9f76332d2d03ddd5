"""Who is logged in, for every staff face (the cashier page and the operators' console):
one login system.

Flask-Login (the well-kept library for "who is this request's user") keeps the staff id
in the session, and the session lives in Redis (web/sessions.py), owned by
"staff:<id>": the cookie is only its id, logout deletes it, and `end_staff_sessions`
(`flask staff deactivate`) deletes every session of a login. Each request reloads the
Staff row (user_loader), so a deactivated login is refused at its next click, and a
login lasts one shift at most (SHIFT_SECONDS), whatever the session's own lifetime.
Flask-Login's remember-me cookie is never set. CSRF is web/csrf.py's, for every form
and write.
"""
from __future__ import annotations

import time

import flask_login
from flask import Flask, current_app, g, request, session

from extensions import db
from loyalty import rate_limit
from models import Staff
from web import sessions

# A login lasts one long shift at most, whatever the session's own lifetime.
SHIFT_SECONDS = 12 * 3600
# The places a login may send the browser back to: the till and the console.
FACES = ("/cashier", "/admin")

login_manager = flask_login.LoginManager()
# Our own sessions are made fresh at login (no fixation) and end at logout; the address
# check of "basic"/"strong" would log out a cashier whose till changes its IP.
login_manager.session_protection = None


@login_manager.user_loader
def _load(staff_id: str) -> Staff | None:
    if time.time() - session.get("login_at", 0) >= SHIFT_SECONDS:
        return None
    staff = db.session.get(Staff, int(staff_id)) if staff_id.isdigit() else None
    return staff if staff is not None and staff.active else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)

    @app.before_request
    def _forget_cached_user() -> None:
        # Flask-Login caches the user on `g`; tests share one app context (and so one `g`)
        # across requests, so each request looks its staff up afresh.
        g.pop("_login_user", None)


def current_staff() -> Staff | None:
    """The logged-in, active member of staff of this request, or None."""
    user = flask_login.current_user
    return user if isinstance(user, Staff) else None


def staff_owner(staff_id: int) -> str:
    """The owner name of a member of staff's sessions (web/sessions.py)."""
    return f"staff:{staff_id}"


def log_in(staff: Staff) -> None:
    """A fresh session under a new id (nothing from before survives: no fixation), in Redis,
    owned by this staff, with Flask-Login's user id and a CSRF token."""
    from web.csrf import csrf_token
    sessions.begin(staff_owner(staff.id), login_at=int(time.time()))
    flask_login.login_user(staff, remember=False)
    csrf_token()


def log_out() -> None:
    flask_login.logout_user()
    sessions.end()


def end_staff_sessions(staff_id: int) -> int:
    """End every session of this member of staff (deactivation); returns how many were live."""
    return sessions.end_all(staff_owner(staff_id))


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


def safe_next(target: str | None, default: str) -> str:
    """Where to go after logging in: only a path of the till or the console, never another site."""
    if (target and target.startswith(FACES) and not target.startswith("//") and "\\" not in target):
        return target
    return default
