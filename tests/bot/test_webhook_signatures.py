"""The webhook's signatures are whole: a prefix of one, a truncated or 8-character one, or
one for another timestamp or nonce is refused (403), as is any query that is not what
WeChat sends (non-ASCII timestamps and signatures): a 4xx, never a 500. Safe mode's
msg_signature the same way."""
from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.member_sim import WeChatServer, message_xml
from tests.bot.test_webhook_protocol import AES_KEY


def signed(app, **changes) -> tuple[dict, bytes]:
    """A correctly signed delivery of "帮助" as WeChat would post it, then `changes` to its query."""
    server = WeChatServer(app.config["WECHAT_TOKEN"], app.config["WECHAT_APPID"], app.config.get("WECHAT_AES_KEY"))
    req = server.sign(message_xml("o_sig", text="帮助"), timestamp=int(time.time()) - 5, nonce="n0nce4711")
    query = dict(parse_qsl(req.query))
    for name, change in changes.items():
        query[name] = change(query[name]) if callable(change) else change
    return query, req.body


def post(client, query, body):
    return client.post("/wechat?" + urlencode(query), data=body, content_type="text/xml")


TAMPERINGS = {
    "as signed": {},
    "signature without its last character": {"signature": lambda s: s[:-1]},
    "the signature's first 8 characters": {"signature": lambda s: s[:8]},
    "the signature's first character": {"signature": lambda s: s[:1]},
    "signature with a character added": {"signature": lambda s: s + "0"},
    "signature in upper case": {"signature": str.upper},
    "another timestamp (still in the window)": {"timestamp": lambda t: str(int(t) - 1)},
    "another nonce": {"nonce": lambda n: n + "x"},
    "nonce cut short": {"nonce": lambda n: n[:-1]},
    "non-ASCII signature": {"signature": "é" * 40},
    "superscript timestamp": {"timestamp": "²"},
    "full-width timestamp": {"timestamp": lambda t: t.translate(str.maketrans("0123456789", "０１２３４５６７８９"))},
}


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=list(TAMPERINGS))
def test_only_the_whole_signature_of_this_timestamp_and_nonce_passes(client, app, tamper):
    query, body = signed(app, **TAMPERINGS[tamper])
    response = post(client, query, body)
    assert response.status_code == (200 if tamper == "as signed" else 403), response.get_data(as_text=True)


@pytest.fixture
def safe_mode(app_config):
    app_config.update(WECHAT_AES_KEY=AES_KEY)


MSG_TAMPERINGS = {
    "as signed": None,
    "msg_signature without its last character": lambda s: s[:-1],
    "the msg_signature's first 8 characters": lambda s: s[:8],
    "msg_signature with a character added": lambda s: s + "0",
    "non-ASCII msg_signature": lambda s: "签" * 40,
    "the plain signature as msg_signature": "signature",
}


@pytest.mark.parametrize("tamper", MSG_TAMPERINGS, ids=list(MSG_TAMPERINGS))
def test_safe_mode_takes_only_the_whole_msg_signature(safe_mode, client, app, tamper):
    change = MSG_TAMPERINGS[tamper]
    query, body = signed(app)
    if change == "signature":
        query["msg_signature"] = query["signature"]
    elif change is not None:
        query["msg_signature"] = change(query["msg_signature"])
    response = post(client, query, body)
    assert response.status_code == (200 if change is None else 403), response.get_data(as_text=True)
    if change is None:
        assert "Encrypt" in response.get_data(as_text=True)
