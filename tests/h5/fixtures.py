"""The H5 pages' world: the demo seed, and members signed in through the real OAuth round
trip (the test client -> the fake WeChat API over HTTP -> back to /m/oauth -> the app
exchanges the code with the fake over HTTP).

Not a conftest.py (see tests/cashier/fixtures.py): test modules import these by name."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from extensions import db
from loyalty import demo
from tests.factories import fuel_sale, give_points, make_member

# Mondays (not member day), 10:00 in Shanghai.
SALE_1_AT = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)
SALE_2_AT = datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc)
EARLY_POINTS_AT = datetime(2025, 10, 15, 2, 0, tzinfo=timezone.utc)


def oauth_redirect(client, path: str):
    """GET a page without a session: the redirect to the authorize page, and its query."""
    resp = client.get(path)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    location = resp.headers["Location"]
    return location, parse_qs(urlsplit(location).query)


def sign_in(client, fake_wechat, openid: str, path: str = "/m/", *, snapshot: bool = False):
    """The whole round trip as WeChat's browser makes it; returns the app's last response."""
    fake_wechat.oauth_as(openid, snapshot=snapshot)
    location, _ = oauth_redirect(client, path)
    authorised = requests.get(location, allow_redirects=False, timeout=5)  # the fake, over HTTP
    assert authorised.status_code == 302, authorised.text
    back = urlsplit(authorised.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def form_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def form_key(html: str, item: str) -> str:
    """The request key of one item's redeem form on the rewards page."""
    form = re.search(r'name="request_key" value="([^"]+)">\s*<input type="hidden" name="item" value="'
                     + re.escape(item) + '"', html)
    return form.group(1)


@pytest.fixture
def world(app):
    """Two members in the demo world. Ana (13800000011, openid o-ana): 600 points earned on
    2025-10-15, two 92# sales at ¥7.65 on Mondays. Ben (13900000022, o-ben): 900 points, one sale."""
    demo.seed()
    ana = make_member("13800000011", openid="o-ana")
    ben = make_member("13900000022", openid="o-ben")
    give_points(ana, 600, EARLY_POINTS_AT)
    give_points(ben, 900, EARLY_POINTS_AT)
    fuel_sale(ana, "30", at=SALE_1_AT, txn="T-ANA-1")
    fuel_sale(ana, "12.5", at=SALE_2_AT, txn="T-ANA-2")
    fuel_sale(ben, "40", at=SALE_2_AT, txn="T-BEN-1")
    db.session.commit()
    return {"ana": ana, "ben": ben, "app": app}


@pytest.fixture
def signed_in(world, fake_wechat):
    """signed_in("o-ana") -> a test client with that member's session (each its own client)."""
    def make(openid: str):
        client = world["app"].test_client()
        assert sign_in(client, fake_wechat, openid).status_code == 302
        return client
    return make
