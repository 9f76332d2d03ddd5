"""The fake WeChat API's push rules, over HTTP: what the delivery tests lean on."""
from __future__ import annotations

import requests

from bot.wechat import get_client
from bot.wechat_http import WeChatAPIError


def code_of(call) -> int:
    try:
        call()
    except WeChatAPIError as exc:
        return exc.errcode
    return 0


def text(openid: str, n: int = 0) -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": f"hello {n}"}}


def test_customer_service_windows_when_enforced(app, fake_wechat):
    client = get_client()
    fake_wechat.windows_enforced = True
    assert code_of(lambda: client.send_custom(text("o-1"))) == 45015  # never wrote
    fake_wechat.interact("o-1", "message")
    assert [code_of(lambda: client.send_custom(text("o-1", n))) for n in range(6)] == [0, 0, 0, 0, 0, 45047]
    fake_wechat.interact("o-2", "event")  # a click: 3 within the minute
    assert [code_of(lambda: client.send_custom(text("o-2", n))) for n in range(4)] == [0, 0, 0, 45047]


def test_client_msg_id_sends_once_and_the_quota_holds(app, fake_wechat, fake_wechat_server):
    base = fake_wechat_server.config["BASE_URL"]
    client = get_client()
    body = {"touser": "o-1", "template_id": "T", "data": {"thing1": {"value": "一号站"}}, "client_msg_id": "k1"}
    first = client.send_message("message/template/send", body)
    again = client.send_message("message/template/send", body)
    assert first["msgid"] == again["msgid"] and len(fake_wechat.template_messages) == 1
    requests.post(f"{base}/_sim/rules", json={"template_quota": 2}, timeout=5)
    assert code_of(lambda: client.send_message("message/template/send", {**body, "client_msg_id": "k2"})) == 0
    assert code_of(lambda: client.send_message("message/template/send", {**body, "client_msg_id": "k3"})) == 45009
    bad = {**body, "client_msg_id": "k4", "data": {"thing1": {"value": "一" * 21}}}
    requests.post(f"{base}/_sim/rules", json={"template_quota": 100}, timeout=5)
    assert code_of(lambda: client.send_message("message/template/send", bad)) == 47003


def test_the_recorded_message_listing(app, fake_wechat, fake_wechat_server):
    base = fake_wechat_server.config["BASE_URL"]
    client = get_client()
    requests.post(f"{base}/_sim/follow", json={"openid": "o-gone", "following": False}, timeout=5)
    requests.post(f"{base}/_sim/accept", json={"openid": "o-1", "template_id": "S"}, timeout=5)
    client.send_custom(text("o-1"))
    client.send_message("message/subscribe/bizsend", {"touser": "o-1", "template_id": "S",
                                                      "data": {"thing1": {"value": "提醒"}}})
    assert code_of(lambda: client.send_custom(text("o-gone"))) == 43004
    assert code_of(lambda: client.send_message("message/subscribe/bizsend", {
        "touser": "o-1", "template_id": "S", "data": {"thing1": {"value": "再一次"}}})) == 43101
    listing = requests.get(f"{base}/_sim/messages", timeout=5).json()
    assert listing["count"] == 2
    assert [(m["seq"], m["kind"], m["touser"]) for m in listing["messages"]] == [(1, "custom", "o-1"),
                                                                             (2, "subscribe", "o-1")]
    assert listing["messages"][1]["body"]["data"] == {"thing1": {"value": "提醒"}}
    later = requests.get(f"{base}/_sim/messages", params={"since": 1, "kind": "subscribe"}, timeout=5).json()
    assert [m["seq"] for m in later["messages"]] == [2]
    assert requests.get(f"{base}/_sim/messages", params={"kind": "sms"}, timeout=5).status_code == 400
    assert requests.get(f"{base}/_sim/counts", timeout=5).json()["custom"] == 1
