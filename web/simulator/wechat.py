"""Playing WeChat against the real service: a member's message or event is built and signed
by bot.member_sim (encrypted when WECHAT_AES_KEY is set) and POSTed over HTTP to this
service's own /wechat, as WeChat's servers would; what the service sent the other way
(pushes, uploaded images, OAuth) is read back from the fake WeChat API (web/wechat_sim)
at WECHAT_API_BASE."""
from __future__ import annotations

from typing import Any

import requests
from flask import current_app, request

from bot.member_sim import WeChatServer, message_xml
from bot.messages import parse_xml

TIMEOUT = 10.0  # above the webhook's reply budget (4 s): a slow handler still answers `success`


def server() -> WeChatServer:
    config = current_app.config
    return WeChatServer(config["WECHAT_TOKEN"], config["WECHAT_APPID"], config.get("WECHAT_AES_KEY"))


def deliver(openid: str, **message: Any) -> str | None:
    """Send one message (text=...) or event (event=..., event_key=...) to /wechat; the
    passive reply's XML (decrypted, its MsgSignature checked), or None for `success`."""
    wechat = server()
    signed = wechat.sign(message_xml(openid, **message))
    url = request.host_url.rstrip("/") + "/wechat?" + signed.query
    resp = requests.post(url, data=signed.body, headers={"Content-Type": "text/xml"}, timeout=TIMEOUT)
    resp.raise_for_status()
    text = resp.content.decode()
    if wechat.read_reply(text) is None:
        return None
    fields = parse_xml(text)
    if wechat.crypto is not None and "Encrypt" in fields:
        return wechat.crypto.decrypt(fields["Encrypt"])  # read_reply checked its signature
    return text


def _fake(method: str, path: str, **kwargs) -> requests.Response:
    base = current_app.config["WECHAT_API_BASE"].rstrip("/")
    resp = requests.request(method, base + path, timeout=5, **kwargs)
    resp.raise_for_status()
    return resp


def recorded() -> dict[str, Any]:
    """Everything the fake WeChat API recorded (its /_sim/state)."""
    return _fake("GET", "/_sim/state").json()


def media(media_id: str) -> tuple[bytes, str] | None:
    """An uploaded image's bytes and type, or None when the fake has no such media."""
    try:
        resp = _fake("GET", f"/_sim/media/{media_id}")
    except requests.HTTPError:
        return None
    return resp.content, resp.headers.get("Content-Type", "application/octet-stream")


def oauth_as(openid: str) -> None:
    """The next H5 page's OAuth answers for this WeChat user."""
    _fake("POST", "/_sim/oauth_user", json={"openid": openid})
