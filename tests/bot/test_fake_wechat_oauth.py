"""The fake WeChat API's web-page OAuth: the authorize redirect and the code exchange,
answered as WeChat answers (a code works once; a snapshot user is flagged)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests


def authorize(base: str, **extra) -> requests.Response:
    params = {"appid": "wxa", "redirect_uri": "http://shop.example/m/oauth", "response_type": "code",
              "scope": "snsapi_base", "state": "s1", **extra}
    return requests.get(base + "/connect/oauth2/authorize", params=params, allow_redirects=False, timeout=5)


def exchange(base: str, code: str) -> dict:
    return requests.get(base + "/sns/oauth2/access_token", timeout=5, params={
        "appid": "wxa", "secret": "s", "code": code, "grant_type": "authorization_code"}).json()


def test_authorize_redirects_back_with_a_code_that_works_once(fake_wechat_server, fake_wechat):
    base = fake_wechat_server.config["BASE_URL"]
    assert requests.post(base + "/_sim/oauth_user", json={"openid": "o-1"}, timeout=5).json() == {"ok": True}
    back = authorize(base)
    assert back.status_code == 302 and back.headers["Location"].startswith("http://shop.example/m/oauth?")
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    assert query["state"] == ["s1"]
    answer = exchange(base, query["code"][0])
    assert answer["openid"] == "o-1" and answer["scope"] == "snsapi_base" and "is_snapshotuser" not in answer
    assert exchange(base, query["code"][0]) == {"errcode": 40163, "errmsg": "code been used"}
    assert exchange(base, "nonsense")["errcode"] == 40029


def test_a_snapshot_user_is_flagged_and_nobody_set_means_the_fake_asks(fake_wechat_server, fake_wechat):
    base = fake_wechat_server.config["BASE_URL"]
    page = authorize(base)
    assert page.status_code == 200 and "以哪个 openid 打开" in page.text
    back = authorize(base, as_openid="o-2", snapshot="1")
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    assert exchange(base, code)["is_snapshotuser"] == 1
    assert authorize(base, scope="snsapi_login").status_code == 400
