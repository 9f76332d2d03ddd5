"""Staff sessions live in Redis (Flask-Session): the cookie is an opaque id, so logging out
or deactivating a login ends every copy of that cookie at once, and a login always starts
under a new id. Cookie flags and ProxyFix come from the configuration."""
from __future__ import annotations

import re

from sqlalchemy import select

from config import Config
from extensions import db, get_redis
from models import Staff
from web.cashier.auth import end_staff_sessions
from tests.cashier.fixtures import PASSWORD, form_csrf, login, till  # noqa: F401  (fixtures)

QUOTE = {"lines": [{"kind": "fuel", "grade": "92", "litres": "40.00"}]}


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A fresh client (another machine) that only has a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def logged_in(client) -> bool:
    resp = client.get("/cashier/")
    assert resp.status_code in (200, 302), resp.status_code
    return resp.status_code == 200


def test_a_copied_cookie_is_refused_once_the_cashier_logs_out(till, login):
    li = login("li")
    copy = cookie_of(li.client)
    assert logged_in(replay(till, copy))  # the copy works as long as the session does
    page = li.client.get("/cashier/").get_data(as_text=True)
    assert li.client.post("/cashier/logout", data={"csrf_token": form_csrf(page)}).status_code == 302

    thief = replay(till, copy)
    assert not logged_in(thief)
    resp = thief.post("/cashier/api/quote", json=QUOTE, headers={"X-CSRF-Token": li.csrf})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "login_required"


def test_deactivating_a_login_ends_its_sessions_for_good(till, login):
    li, wang = login("li"), login("wang")
    copies = [cookie_of(li.client), cookie_of(login("li").client)]  # two tills, one login
    result = till.test_cli_runner().invoke(args=["staff", "deactivate", "--username", "li"])
    assert result.exit_code == 0, result.output
    assert '"ended_sessions": 2' in result.output
    assert not any(logged_in(replay(till, copy)) for copy in copies)
    assert logged_in(wang.client)  # another login's session is untouched

    # Reactivated (say, by mistake), the old cookies still do not come back to life.
    db.session.scalars(select(Staff).where(Staff.username == "li")).one().active = True
    db.session.commit()
    assert not any(logged_in(replay(till, copy)) for copy in copies)


def test_the_cookie_holds_only_an_opaque_id_and_the_data_stays_in_redis(login):
    li = login("li")
    cookie = cookie_of(li.client)
    # token_urlsafe(32): 43 characters of base64url, no signed payload ("data.timestamp.signature").
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie), cookie
    assert get_redis().exists(f"session:{cookie}") == 1
    assert li.csrf not in cookie


def test_logging_in_issues_a_new_session_id(till, client):
    page = client.get("/cashier/login").get_data(as_text=True)
    before = cookie_of(client)  # an anonymous session (it holds the form's CSRF token)
    resp = client.post("/cashier/login", data={"username": "li", "password": PASSWORD,
                                               "csrf_token": form_csrf(page)})
    assert resp.status_code == 302
    after = cookie_of(client)
    assert after != before
    # An id planted before the login (fixation) is not logged in, and is gone from Redis.
    assert not logged_in(replay(till, before)) and get_redis().exists(f"session:{before}") == 0
    assert logged_in(replay(till, after))


def test_production_cookies_are_secure_httponly_and_samesite_lax(monkeypatch):
    flask = Config().as_flask()
    assert (flask["SESSION_COOKIE_SECURE"], flask["SESSION_COOKIE_HTTPONLY"],
            flask["SESSION_COOKIE_SAMESITE"]) == (True, True, "Lax")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")  # plain http on 127.0.0.1 (make run)
    assert Config.from_env().as_flask()["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("PROXY_FIX_X_FOR", "2")
    assert Config.from_env().PROXY_FIX_X_FOR == 2


def test_the_login_cookie_carries_the_flags(till, app_factory):
    secure = app_factory(SESSION_COOKIE_SECURE=True)
    client = secure.test_client()
    page = client.get("https://localhost/cashier/login").get_data(as_text=True)
    resp = client.post("https://localhost/cashier/login", data={"username": "li", "password": PASSWORD,
                                                                "csrf_token": form_csrf(page)})
    flags = resp.headers["Set-Cookie"]
    assert resp.status_code == 302 and "Secure" in flags and "HttpOnly" in flags and "SameSite=Lax" in flags


def probe(app) -> dict:
    """What the app sees of a request that came through a proxy."""
    @app.get("/probe-remote")
    def remote():
        from flask import request
        return {"addr": request.remote_addr, "scheme": request.scheme}
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    return app.test_client().get("/probe-remote", headers=forwarded).get_json()


def test_behind_a_proxy_the_forwarded_address_and_scheme_are_the_requests(app_factory):
    assert probe(app_factory(PROXY_FIX_X_FOR=1)) == {"addr": "203.0.113.7", "scheme": "https"}
    # PROXY_FIX_X_FOR=0 (the default): a client's own X-Forwarded-* headers are ignored.
    assert probe(app_factory()) == {"addr": "127.0.0.1", "scheme": "http"}


def test_a_request_in_flight_when_the_session_ends_cannot_bring_it_back(till, login):
    li = login("li")
    copy = cookie_of(li.client)
    with li.client.session_transaction() as in_flight:  # read from Redis before the logout...
        staff_id = int(in_flight["_user_id"])  # Flask-Login's key
        assert end_staff_sessions(staff_id) == 1
        in_flight["note"] = "written after the end"  # ...and saved after it (SET XX: a no-op)
    assert get_redis().exists(f"session:{copy}") == 0
    assert not logged_in(replay(till, copy))


def test_an_anonymous_session_is_kept_an_hour_and_a_login_a_shift(till, client):
    page = client.get("/cashier/login").get_data(as_text=True)
    assert 3590 <= get_redis().ttl(f"session:{cookie_of(client)}") <= 3600
    client.post("/cashier/login", data={"username": "li", "password": PASSWORD, "csrf_token": form_csrf(page)})
    assert 12 * 3600 - 10 <= get_redis().ttl(f"session:{cookie_of(client)}") <= 12 * 3600
