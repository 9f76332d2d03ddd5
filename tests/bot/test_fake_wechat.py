"""The fake WeChat API itself, over real HTTP: tokens, recording, the control API,
failures and delays, and QR images that really encode the scene."""
import threading
import time

import pytest
import qrcode
import requests

from loyalty.qr_png import read_png_matrix


@pytest.fixture
def base(fake_wechat_server, fake_wechat):
    return fake_wechat_server.config["BASE_URL"]


def stable_token(base, force=False, appid="wxfake", secret="s3cret"):
    return requests.post(f"{base}/cgi-bin/stable_token", timeout=5, json={
        "grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": force}).json()


def call(base, path, token, body=None, method="post"):
    return requests.request(method, f"{base}{path}", params={"access_token": token}, json=body, timeout=5).json()


def test_stable_token_reuses_until_forced_and_forcing_revokes_the_old(base, fake_wechat):
    first = stable_token(base)["access_token"]
    assert stable_token(base)["access_token"] == first
    forced = stable_token(base, force=True)["access_token"]
    assert forced != first
    assert call(base, "/cgi-bin/menu/get", first, method="get")["errcode"] == 40001
    assert len(fake_wechat.tokens_issued) == 3


def test_get_token_and_missing_credentials(base):
    token = requests.get(f"{base}/cgi-bin/token", timeout=5, params={
        "grant_type": "client_credential", "appid": "wxfake", "secret": "s3cret"}).json()
    assert token["expires_in"] == 7200 and token["access_token"]
    assert stable_token(base, secret="")["errcode"] == 41004


def test_every_api_call_checks_the_token(base, fake_wechat):
    payload = {"touser": "o-1", "msgtype": "text", "text": {"content": "hi"}}
    assert call(base, "/cgi-bin/message/custom/send", "made-up", payload)["errcode"] == 40001
    token = stable_token(base)["access_token"]
    fake_wechat.invalidate_token(42001)
    assert call(base, "/cgi-bin/message/custom/send", token, payload) == {
        "errcode": 42001, "errmsg": "access_token expired"}
    assert fake_wechat.custom_messages == []


def test_control_api_fails_a_call_then_recovers(base, fake_wechat):
    token = stable_token(base)["access_token"]
    payload = {"touser": "o-1", "msgtype": "text", "text": {"content": "hi"}}
    assert requests.post(f"{base}/_sim/fail", timeout=5, json={
        "path": "/cgi-bin/message/custom/send", "errcode": 43004, "times": 2}).ok
    assert requests.post(f"{base}/_sim/fail", timeout=5, json={"path": "nope"}).status_code == 400
    answers = [call(base, "/cgi-bin/message/custom/send", token, payload)["errcode"] for _ in range(3)]
    assert answers == [43004, 43004, 0]
    state = requests.get(f"{base}/_sim/state", timeout=5).json()
    assert state["custom_messages"] == [payload] and state["tokens_issued"] == 1


def test_reset_forgets_everything(base, fake_wechat):
    token = stable_token(base)["access_token"]
    call(base, "/cgi-bin/message/template/send", token, {"touser": "o", "template_id": "T", "data": {}})
    fake_wechat.fail("/cgi-bin/menu/get", -1)
    requests.post(f"{base}/_sim/reset", timeout=5)
    state = requests.get(f"{base}/_sim/state", timeout=5).json()
    assert state["template_messages"] == [] and state["failures"] == {} and state["tokens_issued"] == 0
    assert call(base, "/cgi-bin/menu/get", token, method="get")["errcode"] == 40001  # tokens are forgotten too


def test_a_delay_holds_only_its_own_endpoint(base, fake_wechat):
    token = stable_token(base)["access_token"]
    assert requests.post(f"{base}/_sim/delay", timeout=5,
                         json={"path": "/cgi-bin/message/custom/send", "seconds": 1.5}).ok
    slow: dict = {}

    def send():
        started = time.monotonic()
        call(base, "/cgi-bin/message/custom/send", token, {"touser": "o", "msgtype": "text", "text": {}})
        slow["took"] = time.monotonic() - started

    thread = threading.Thread(target=send)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert call(base, "/cgi-bin/menu/get", token, method="get")["errcode"] == 46003
    assert time.monotonic() - started < 0.5
    thread.join(5)
    assert slow["took"] >= 1.5
    assert len(fake_wechat.custom_messages) == 1


def test_a_request_delayed_across_a_reset_does_not_record_into_the_new_state(base, fake_wechat):
    token = stable_token(base)["access_token"]
    fake_wechat.delay("/cgi-bin/message/custom/send", 0.5)
    thread = threading.Thread(target=call, args=(base, "/cgi-bin/message/custom/send", token,
                                                 {"touser": "o", "msgtype": "text", "text": {}}))
    thread.start()
    time.sleep(0.2)
    fake_wechat.reset()
    thread.join(5)
    assert fake_wechat.custom_messages == []


@pytest.mark.parametrize("menu, errcode", [
    ({"button": []}, 40016),
    ({"button": [{"type": "click", "name": "x", "key": "K"}] * 4}, 40016),
    ({"button": [{"name": "会员卡", "sub_button": [{"type": "click", "name": "a", "key": "K"}] * 6}]}, 40016),
    ({"button": [{"type": "click", "name": "会员卡会员卡", "key": "K"}]}, 40018),
    ({"button": [{"type": "click", "name": "卡", "key": "K" * 129}]}, 40019),
])
def test_the_fake_refuses_menus_wechat_would_refuse(base, fake_wechat, menu, errcode):
    token = stable_token(base)["access_token"]
    assert call(base, "/cgi-bin/menu/create", token, menu)["errcode"] == errcode
    assert fake_wechat.menus == []


def test_showqrcode_serves_a_png_encoding_the_scene(base, fake_wechat):
    token = stable_token(base)["access_token"]
    ticket = call(base, "/cgi-bin/qrcode/create", token, {
        "action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "pump:S001:3"}}})["ticket"]
    image = requests.get(f"{base}/cgi-bin/showqrcode", params={"ticket": ticket}, timeout=5)
    assert image.headers["Content-Type"] == "image/png"
    code = qrcode.QRCode(border=4)
    code.add_data("pump:S001:3")
    code.make(fit=True)
    assert read_png_matrix(image.content) == code.get_matrix()
    assert requests.get(f"{base}/cgi-bin/showqrcode", params={"ticket": "nope"}, timeout=5).status_code == 404
