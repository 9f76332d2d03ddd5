"""The cashier page's world: the demo seed, and one login of each role.

Not a conftest.py: a second module named `conftest` would shadow tests/conftest.py for
tests that `from conftest import ...`. Test modules import these fixtures by name."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from extensions import db
from loyalty import demo
from loyalty.people import staff as staff_rules
from tests.factories import on_weekday

PASSWORD = "till-pass-2026"
# username -> (role, station)
STAFF = {"li": ("cashier", "S001"), "wang": ("station_manager", "S001"),
         "zhao": ("cashier", "S002"), "hq": ("hq_admin", None)}


@pytest.fixture
def pinned_clock(app_config):
    """The till's clock (web/clock.py) pinned for the whole test to a moment that is not
    member day, no earlier than now (make coupons and codes at it, `now=pinned_clock`): the points
    arithmetic is the same on every day and never flips at midnight going into Tuesday.
    A test moves it with `app.config["PINNED_NOW"] = ...`."""
    at = on_weekday(datetime.now(timezone.utc), member_day=False)
    app_config.update(PINNED_NOW=at)
    return at


@pytest.fixture
def till(app):
    """The app with the demo seed (stations S001-S003, member 13800138000) and the STAFF logins."""
    demo.seed()
    for username, (role, station) in STAFF.items():
        staff_rules.create_staff(username, PASSWORD, role=role, station_code=station,
                                 display_name={"li": "李雷"}.get(username))
    db.session.commit()
    return app


def form_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def staff_login(client, username: str) -> str:
    """Log `client` in as `username` through the one staff login page (the till's and the
    console's); returns the session's CSRF token."""
    page = client.get("/cashier/login").get_data(as_text=True)
    resp = client.post("/cashier/login", data={"username": username, "password": PASSWORD,
                                               "csrf_token": form_csrf(page)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with client.session_transaction() as session:
        return session["csrf"]


class Till:
    """A logged-in test client that calls the JSON API with the session's CSRF header."""

    def __init__(self, client, username: str):
        self.client = client
        self.csrf = staff_login(client, username)

    def post(self, path: str, json=None, **headers):
        return self.client.post("/cashier/api" + path, json=json, headers={"X-CSRF-Token": self.csrf, **headers})

    def get(self, path: str):
        return self.client.get("/cashier/api" + path)


@pytest.fixture
def login(till):
    """login("li") -> a Till for that staff member, each on its own client (own session)."""
    return lambda username: Till(till.test_client(), username)
