"""The webhook speaks WeChat's protocol: verification, signatures, replay window,
safe mode, size limits and hostile XML."""
import time

import pytest

from bot.crypto import MessageCrypto, signature
from bot.member_sim import WeChatServer, message_xml

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def signed_query(token, timestamp=None, nonce="n0nce", **extra):
    ts = str(timestamp if timestamp is not None else int(time.time()))
    params = {"signature": signature(token, ts, nonce), "timestamp": ts, "nonce": nonce, **extra}
    return "&".join(f"{k}={v}" for k, v in params.items())


def test_get_verification_echoes_echostr(client, app):
    resp = client.get(f"/wechat?{signed_query(app.config['WECHAT_TOKEN'], echostr='hello123')}")
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == "hello123"


def test_get_with_wrong_signature_is_forbidden(client, app):
    resp = client.get(f"/wechat?{signed_query('not-our-token', echostr='hello123')}")
    assert resp.status_code == 403
    assert "hello123" not in resp.get_data(as_text=True)


def test_help_in_plaintext_mode(wechat):
    reply = wechat.send("o_member_1", "帮助")
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == "o_member_1"
    assert "绑定" in reply["Content"]


def test_post_without_signature_is_forbidden(client):
    resp = client.post("/wechat", data=message_xml("o1", text="帮助"))
    assert resp.status_code == 403


def test_post_with_wrong_signature_is_forbidden(client, app):
    body = message_xml("o1", text="帮助")
    resp = client.post(f"/wechat?{signed_query('wrong-token')}", data=body)
    assert resp.status_code == 403


@pytest.mark.parametrize("skew", [-301, 301, 3600])
def test_stale_timestamp_is_refused_as_replay(client, app, skew):
    body = message_xml("o1", text="帮助")
    query = signed_query(app.config["WECHAT_TOKEN"], timestamp=int(time.time()) + skew)
    resp = client.post(f"/wechat?{query}", data=body)
    assert resp.status_code == 403
    assert b"stale" in resp.data


def test_timestamp_within_window_is_accepted(wechat):
    reply = wechat.post(message_xml("o1", text="帮助"), timestamp=int(time.time()) - 250)
    assert "绑定" in reply["Content"]


def test_body_over_64kb_is_refused(client, app):
    body = message_xml("o1", text="帮" * 30000)
    assert len(body.encode()) > 64 * 1024
    resp = client.post(f"/wechat?{signed_query(app.config['WECHAT_TOKEN'])}", data=body)
    assert resp.status_code == 413


HOSTILE = {
    "not xml": b"this is not xml",
    "truncated": b"<xml><ToUserName>",
    "wrong root": b"<html><ToUserName>a</ToUserName></html>",
    "missing fields": b"<xml><Content>hi</Content></xml>",
    "xxe": (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType>"
            b"<Content>&xxe;</Content><MsgId>1</MsgId></xml>"),
    "billion laughs": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                       b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                       b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                       b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
                       b"<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>2</MsgId></xml>"),
    "doctype only": (b'<!DOCTYPE xml><xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>'
                     b"<MsgType>text</MsgType><Content>help</Content><MsgId>3</MsgId></xml>"),
    "invalid utf-8": b"<xml><ToUserName>\xff\xfe</ToUserName></xml>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_malformed_xml_is_a_400(client, app, name):
    resp = client.post(f"/wechat?{signed_query(app.config['WECHAT_TOKEN'])}", data=HOSTILE[name])
    assert resp.status_code == 400, resp.data
    assert b"root:" not in resp.data  # nothing from /etc/passwd leaks


# --- safe mode ---------------------------------------------------------------------

@pytest.fixture
def aes_app_config(app_config):
    app_config.update(WECHAT_AES_KEY=AES_KEY)
    return app_config


def test_help_in_safe_mode_round_trip(aes_app_config, wechat):
    assert wechat.server.crypto is not None
    reply = wechat.send("o_safe", "帮助")
    assert "Encrypt" in wechat.last_response.get_data(as_text=True)
    assert "绑定" in reply["Content"]


def _safe_post(client, app, encrypted, *, msg_signature=None, token=None):
    token = token or app.config["WECHAT_TOKEN"]
    ts, nonce = str(int(time.time())), "abc123"
    msg_sig = msg_signature or signature(token, ts, nonce, encrypted)
    query = signed_query(token, timestamp=ts, nonce=nonce, encrypt_type="aes", msg_signature=msg_sig)
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return client.post(f"/wechat?{query}", data=body)


def test_safe_mode_bad_msg_signature_is_forbidden(aes_app_config, client, app):
    crypto = MessageCrypto(app.config["WECHAT_TOKEN"], AES_KEY, app.config["WECHAT_APPID"])
    encrypted = crypto.encrypt(message_xml("o1", text="帮助"))
    assert _safe_post(client, app, encrypted, msg_signature="0" * 40).status_code == 403


@pytest.mark.parametrize("ciphertext", ["not base64 !!", "QUJD", "A" * 44, "Zm9vYmFy" * 8])
def test_safe_mode_bad_ciphertext_is_a_400(aes_app_config, client, app, ciphertext):
    assert _safe_post(client, app, ciphertext).status_code == 400


def test_safe_mode_message_for_another_appid_is_refused(aes_app_config, client, app):
    other = MessageCrypto(app.config["WECHAT_TOKEN"], AES_KEY, "wx_some_other_app")
    encrypted = other.encrypt(message_xml("o1", text="帮助"))
    resp = _safe_post(client, app, encrypted)
    assert resp.status_code in (400, 403)
    assert b"appid" in resp.data


def test_safe_mode_request_without_key_configured_is_a_400(client, app):
    crypto = MessageCrypto(app.config["WECHAT_TOKEN"], AES_KEY, app.config["WECHAT_APPID"])
    encrypted = crypto.encrypt(message_xml("o1", text="帮助"))
    assert _safe_post(client, app, encrypted).status_code == 400


def test_safe_mode_hostile_inner_xml_is_a_400(aes_app_config, client, app):
    crypto = MessageCrypto(app.config["WECHAT_TOKEN"], AES_KEY, app.config["WECHAT_APPID"])
    encrypted = crypto.encrypt(HOSTILE["xxe"].decode())
    assert _safe_post(client, app, encrypted).status_code == 400


# --- Tencent's published sample (known answer) --------------------------------------

SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHF"
    "VAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVti"
    "cbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpA"
    "e+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCum"
    "EPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE = dict(token="spamtest", appid="wx2c2769f8efd9abc2", timestamp="1409735669", nonce="1320562132",
              msg_signature="5d197aaffba7e9b25a30732f161a50dee96bd5fa")


def test_tencent_sample_decrypts_to_known_message():
    crypto = MessageCrypto(SAMPLE["token"], AES_KEY, SAMPLE["appid"])
    assert crypto.sign(SAMPLE["timestamp"], SAMPLE["nonce"], SAMPLE_ENCRYPT) == SAMPLE["msg_signature"]
    from bot.messages import Message
    msg = Message.from_xml(crypto.decrypt(SAMPLE_ENCRYPT))
    assert msg.type == "text"
    assert msg.content == "abcdteT"
    assert msg.get("MsgId") == "6054768590064713728"


def test_tencent_sample_through_the_webhook(app_config, app_factory):
    # The sample's timestamp is from 2014: the replay window is injected wide open.
    app = app_factory(WECHAT_TOKEN=SAMPLE["token"], WECHAT_APPID=SAMPLE["appid"], WECHAT_AES_KEY=AES_KEY,
                      WECHAT_REPLAY_WINDOW=None)
    client = app.test_client()
    plain_sig = signature(SAMPLE["token"], SAMPLE["timestamp"], SAMPLE["nonce"])
    query = (f"signature={plain_sig}&timestamp={SAMPLE['timestamp']}&nonce={SAMPLE['nonce']}"
             f"&encrypt_type=aes&msg_signature={SAMPLE['msg_signature']}")
    body = f"<xml><ToUserName><![CDATA[toUser]]></ToUserName><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
    resp = client.post(f"/wechat?{query}", data=body)
    assert resp.status_code == 200
    reply = WeChatServer(SAMPLE["token"], SAMPLE["appid"], AES_KEY).read_reply(resp.data)
    # "abcdteT" is no command: the member gets the help reply, encrypted for the sample's appid.
    assert "绑定" in reply["Content"]
