"""The simulator's server side: messages reach the real webhook signed (and encrypted in
safe mode), replies and pushes become bubbles, links open only this service's pages, and
one browser keeps a cashier's and a member's session side by side."""
from __future__ import annotations

import base64
import re

import pytest
import requests

from loyalty import demo
from tests.cashier.fixtures import PASSWORD, STAFF, till  # noqa: F401
from tests.conftest import ServerThread
from tests.factories import bind
from tests.h5.fixtures import sign_in
from web.simulator import bubbles

AES_KEY = base64.b64encode(b"k" * 32).decode().rstrip("=")  # 43 characters, as WeChat's console gives


@pytest.fixture
def served(app, fake_wechat):
    demo.seed()
    server = ServerThread(app)
    app.config["PUBLIC_BASE_URL"] = server.url
    yield server.url
    server.stop()


def send(url: str, **body):
    return requests.post(url + "/simulator/api/send", json={"openid": "demo-openid", **body}, timeout=15)


@pytest.mark.parametrize("app_config", [{}, {"WECHAT_AES_KEY": AES_KEY}], ids=["plaintext", "safe-mode"], indirect=False)
def test_a_message_goes_through_the_webhook_and_its_reply_comes_back_as_a_bubble(app_config, served):
    assert requests.get(served + "/simulator/api/phones", timeout=5).json()["phones"][0]["openid"] == "demo-openid"
    followed = send(served, event="follow")
    assert followed.status_code == 200, followed.text
    assert followed.json()["reply"]["kind"] == "text" and "欢迎关注油卡会员服务" in followed.json()["reply"]["text"]
    assert followed.json()["following"] is True
    asked = send(served, click="BIND_PHONE").json()
    assert asked["reply"] == {"kind": "text", "text": asked["reply"]["text"]} and "请回复您的手机号" in asked["reply"]["text"]
    assert send(served, event="unfollow").json() == {"reply": None, "following": False, "bound": False}


def test_unknown_phones_and_messages_are_refused_with_json(served):
    assert send(served, openid="nobody", text="积分").status_code == 404
    bad = send(served, event="teleport")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    assert send(served, event="pump", station="S001", nozzle="3号").status_code == 400
    assert requests.get(served + "/simulator/api/inbox?openid=nobody", timeout=5).status_code == 404
    assert requests.get(served + "/simulator/media/nope", timeout=5).status_code == 404


def test_the_inbox_holds_this_phones_pushes_and_sms_only(served, fake_wechat, app):
    from bot.channels import sms
    from bot.wechat import get_client
    get_client().send_custom({"touser": "demo-openid", "msgtype": "text", "text": {"content": "你好"}})
    get_client().send_custom({"touser": "o-other", "msgtype": "text", "text": {"content": "别人的"}})
    sms.send(sms.SmsMessage(to=demo.DEMO_PHONE, text="【优卡】您的验证码是 123456", code="123456"))
    sms.send(sms.SmsMessage(to="13900000000", text="【优卡】您的验证码是 654321", code="654321"))
    inbox = requests.get(served + "/simulator/api/inbox?openid=demo-openid", timeout=5).json()
    assert [{k: v for k, v in p.items() if k != "id"} for p in inbox["pushes"]] == [{"kind": "text", "text": "你好"}]
    assert re.fullmatch(r"custom_messages:0:[0-9a-f]{12}", inbox["pushes"][0]["id"])
    assert [(m["sender"], m["code"]) for m in inbox["sms"]] == [("106 短信", "123456")]


def test_a_pump_scan_by_someone_not_following_is_a_follow_with_the_scene(served, app):
    bind(demo.demo_member(), "demo-openid")
    first = send(served, event="pump", station="S002", nozzle="7").json()
    assert first["following"] is True  # scanning followed the account
    from loyalty.till import nozzles
    assert nozzles.attached("S002", "7").id == demo.demo_member().id


def test_links_open_only_this_services_pages_as_the_phones_user(served, fake_wechat):
    session = requests.Session()
    session.cookies.set("youka_member", "old-phone-session", path="/m")
    opened = session.get(served + "/simulator/open", params={"openid": "demo-openid", "to": served + "/m/records"},
                         allow_redirects=False, timeout=5)
    assert opened.status_code == 302 and opened.headers["Location"] == "/m/records"
    assert 'youka_member=""' in opened.headers["Set-Cookie"] or "youka_member=;" in opened.headers["Set-Cookie"]
    assert fake_wechat.oauth.user == ("demo-openid", False)
    for target in ("https://evil.example/m/", "//evil.example/m/", "javascript:alert(1)"):
        assert session.get(served + "/simulator/open", params={"openid": "demo-openid", "to": target},
                           allow_redirects=False, timeout=5).status_code == 400, target
    assert session.get(served + "/simulator/open", params={"openid": "nobody", "to": "/m/"},
                       allow_redirects=False, timeout=5).status_code == 404


def test_a_cashier_and_a_member_keep_their_sessions_in_one_browser(till, fake_wechat):  # noqa: F811
    from tests.h5.fixtures import form_csrf
    client = till.test_client()
    page = client.get("/cashier/login").get_data(as_text=True)
    assert client.post("/cashier/login", data={"username": "li", "password": PASSWORD,
                                               "csrf_token": form_csrf(page)}).status_code == 302
    bind(demo.demo_member(), "o-phone")
    assert sign_in(client, fake_wechat, "o-phone", "/m/points").status_code == 302
    assert client.get("/m/points").status_code == 200          # the member's page
    assert client.get("/cashier/").status_code == 200          # and the till, still logged in
    assert client.get_cookie("youka_member", path="/m").value != client.get_cookie("session").value


def test_template_fields_keep_their_numbered_order_and_typed_labels(app):
    card = bubbles.from_template({"touser": "o", "template_id": "T1", "url": "http://x/m/records", "data": {
        "time3": {"value": "2026-12-01 10:00"}, "amount2": {"value": "¥306.00"}, "thing01": {"value": "城东加油站"},
        "character_string4": {"value": "S001-1"}}})
    assert [(f["label"], f["value"]) for f in card["fields"]] == [
        ("事项", "城东加油站"), ("金额", "¥306.00"), ("时间", "2026-12-01 10:00"), ("编号", "S001-1")]
    app.config["SIMULATOR_TEMPLATES"] = {"T1": {"title": "加油消费成功通知", "labels": {"thing01": "加油站点"}}}
    named = bubbles.from_template({"touser": "o", "template_id": "T1", "data": {"thing01": {"value": "城东"}}})
    assert named["title"] == "加油消费成功通知" and named["fields"][0]["label"] == "加油站点"


def test_news_replies_and_messages_become_article_cards(app):
    xml = ("<xml><MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount><Articles><item>"
           "<Title><![CDATA[会员日]]></Title><Description><![CDATA[周二积分翻倍]]></Description>"
           "<Url><![CDATA[http://x/m/]]></Url></item></Articles></xml>")
    assert bubbles.from_reply(xml)["articles"] == [{"title": "会员日", "description": "周二积分翻倍",
                                                    "url": "http://x/m/", "picurl": ""}]
    custom = bubbles.from_custom({"msgtype": "news", "news": {"articles": [{"title": "t", "url": "u"}]}})
    assert custom["kind"] == "news" and custom["articles"][0]["title"] == "t"
    assert bubbles.from_reply("success") is None


def test_a_referral_scan_on_a_new_phone_remembers_the_referrer(served, app):
    from models import ReferralScan
    from extensions import db
    bind(demo.demo_member(), "demo-openid")
    created = requests.post(served + "/simulator/api/phones", json={"name": "朋友的手机"}, timeout=5).json()["phone"]
    assert created["openid"].startswith("o") and len(created["openid"]) == 28 and not created["following"]
    assert created["phone"] != demo.DEMO_PHONE and created["phone_masked"].count("*") == 4
    scanned = send(served, openid=created["openid"], event="referral", referrer="demo-openid").json()
    assert scanned["following"] is True and scanned["reply"]["kind"] == "text"
    db.session.rollback()
    remembered = db.session.get(ReferralScan, created["openid"])
    assert remembered is not None and remembered.referrer_id == demo.demo_member().id
    # No referrer among the phones: refused, nothing sent.
    assert send(served, openid=created["openid"], event="referral", referrer="o-nobody").status_code == 400
