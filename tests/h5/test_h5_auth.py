"""Signing in on the H5 pages: WeChat OAuth (snsapi_base) against the fake WeChat API over
HTTP, the state bound to the session, snapshot users and unbound openids refused."""
from __future__ import annotations

from urllib.parse import urlsplit

import requests

from extensions import db
from models import WeChatBinding
from tests.h5.fixtures import oauth_redirect, sign_in, world, signed_in  # noqa: F401
from web import sessions
from web.h5.auth import member_owner


def test_a_page_without_a_session_goes_to_wechat_with_a_state_and_snsapi_base(client, app):
    location, query = oauth_redirect(client, "/m/records")
    assert location.startswith(app.config["WECHAT_OPEN_BASE"] + "/connect/oauth2/authorize?")
    assert location.endswith("#wechat_redirect")
    assert query["scope"] == ["snsapi_base"] and query["appid"] == [app.config["WECHAT_APPID"]]
    assert query["redirect_uri"] == [app.config["PUBLIC_BASE_URL"] + "/m/oauth"]
    with client.session_transaction("/m/") as session:
        assert session["oauth_state"] == query["state"][0] and len(query["state"][0]) >= 24
        assert session["oauth_next"] == "/m/records"


def test_the_round_trip_signs_the_member_in_and_returns_to_the_page_asked_for(world, client, fake_wechat):
    resp = sign_in(client, fake_wechat, "o-ana", "/m/records")
    assert resp.status_code == 302 and resp.headers["Location"] == "/m/records"
    assert fake_wechat.oauth.exchanges == [{"appid": world["app"].config["WECHAT_APPID"],
                                            "openid": "o-ana", "snapshot": False}]
    with client.session_transaction("/m/") as session:
        assert session["owner"] == member_owner(world["ana"].id) and "oauth_state" not in session
    page = client.get("/m/records")
    assert page.status_code == 200 and "城东加油站" in page.get_data(as_text=True)


def test_a_state_that_is_not_this_sessions_is_refused(world, client, fake_wechat):
    fake_wechat.oauth_as("o-ana")
    location, _ = oauth_redirect(client, "/m/")
    # An attacker's own authorised code and state, planted in the member's browser.
    attacker = world["app"].test_client()
    attacker_location, _ = oauth_redirect(attacker, "/m/")
    planted = urlsplit(requests.get(attacker_location, allow_redirects=False, timeout=5).headers["Location"])
    resp = client.get(f"{planted.path}?{planted.query}")
    assert resp.status_code == 400 and "链接已失效" in resp.get_data(as_text=True)
    assert fake_wechat.oauth.exchanges == []  # refused before the code was exchanged
    assert client.get("/m/records").status_code == 302  # still not signed in


def test_a_callback_with_no_state_or_a_replayed_code_is_refused(world, client, fake_wechat):
    fake_wechat.oauth_as("o-ana")
    location, _ = oauth_redirect(client, "/m/")
    back = urlsplit(requests.get(location, allow_redirects=False, timeout=5).headers["Location"])
    assert client.get("/m/oauth?code=abc").status_code == 400  # no state at all
    other = world["app"].test_client()
    assert sign_in(other, fake_wechat, "o-ana").status_code == 302
    # The first code, replayed after its state was used up.
    assert other.get(f"{back.path}?{back.query}").status_code == 400


def test_a_snapshot_user_is_never_signed_in_nor_shown_member_data(world, client, fake_wechat):
    resp = sign_in(client, fake_wechat, "o-ana", snapshot=True)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 403 and "请在微信中打开" in text
    assert "138****0011" not in text and "642" not in text
    with client.session_transaction("/m/") as session:
        assert "owner" not in session and "member_id" not in session
    assert client.get("/m/points").status_code == 302


def test_an_unbound_openid_is_told_to_bind_in_the_chat(world, client, fake_wechat):
    resp = sign_in(client, fake_wechat, "o-stranger")
    assert resp.status_code == 200 and "回复「绑定」" in resp.get_data(as_text=True)
    with client.session_transaction("/m/") as session:
        assert "owner" not in session


def test_wechat_refusing_the_code_is_a_page_not_a_500(world, client, fake_wechat):
    fake_wechat.fail("/sns/oauth2/access_token", 40029)
    resp = sign_in(client, fake_wechat, "o-ana")
    assert resp.status_code == 400 and "重新打开" in resp.get_data(as_text=True)


def test_unbinding_ends_the_members_sessions(world, signed_in):
    ana = signed_in("o-ana")
    assert ana.get("/m/points").status_code == 200
    assert sessions.end_all(member_owner(world["ana"].id)) == 1
    assert ana.get("/m/points").status_code == 302


def test_erasing_in_the_chat_ends_the_members_h5_sessions_at_once(world, signed_in, wechat):
    ana = signed_in("o-ana")
    assert ana.get("/m/points").status_code == 200
    wechat.say("o-ana", "注销")
    assert "已注销" in wechat.say("o-ana", "是")
    assert sessions.end_all(member_owner(world["ana"].id)) == 0  # none was left live
    assert ana.get("/m/points").status_code == 302


def test_a_session_whose_openid_was_unbound_is_over_even_if_nobody_ended_it(world, signed_in):
    ana = signed_in("o-ana")
    db.session.query(WeChatBinding).filter_by(openid="o-ana").delete()
    db.session.commit()
    assert ana.get("/m/points").status_code == 302
    assert ana.get("/m/ecard/code").status_code == 401


def test_the_code_endpoint_without_a_session_answers_401_json(client):
    resp = client.get("/m/ecard/code")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "login_required"


def test_next_never_leaves_the_pages(world, client, fake_wechat):
    fake_wechat.oauth_as("o-ana")
    location, _ = oauth_redirect(client, "/m/")
    with client.session_transaction("/m/") as session:
        session["oauth_next"] = "//evil.example/m/"
    back = urlsplit(requests.get(location, allow_redirects=False, timeout=5).headers["Location"])
    assert client.get(f"{back.path}?{back.query}").headers["Location"] == "/m/"
