"""Playing the part of WeChat's servers: building the signed (and, in safe mode,
encrypted) requests WeChat would POST to the webhook, and reading the replies.

Used by `flask wechat chat`, by the tests' `wechat` fixture and by the benchmark.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.crypto import MessageCrypto, signature
from bot.messages import parse_xml
from bot.replies import cdata

ACCOUNT = "gh_youka_dev"


def message_xml(openid: str, *, text: str | None = None, event: str | None = None,
                event_key: str | None = None, msg_type: str | None = None,
                msg_id: int | None = None, create_time: int | None = None,
                account: str = ACCOUNT, extra: dict[str, str] | None = None) -> str:
    """The XML WeChat sends for a text message (text=...) or an event (event=...)."""
    create_time = create_time or int(time.time())
    parts = [f"<ToUserName>{cdata(account)}</ToUserName>", f"<FromUserName>{cdata(openid)}</FromUserName>",
             f"<CreateTime>{create_time}</CreateTime>"]
    if event is not None:
        parts.append(f"<MsgType>{cdata('event')}</MsgType><Event>{cdata(event)}</Event>")
        if event_key is not None:
            parts.append(f"<EventKey>{cdata(event_key)}</EventKey>")
    else:
        parts.append(f"<MsgType>{cdata(msg_type or 'text')}</MsgType>")
        if text is not None:
            parts.append(f"<Content>{cdata(text)}</Content>")
        parts.append(f"<MsgId>{msg_id or secrets.randbits(62)}</MsgId>")
    for name, value in (extra or {}).items():
        parts.append(f"<{name}>{cdata(value)}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


@dataclass
class SignedRequest:
    query: str
    body: bytes


class WeChatServer:
    """Signs and encrypts like WeChat for one account (token, optional AES key, appid)."""

    def __init__(self, token: str, appid: str, aes_key: str | None = None):
        self.token = token
        self.appid = appid
        self.crypto = MessageCrypto(token, aes_key, appid) if aes_key else None

    def sign(self, xml: str, *, timestamp: int | None = None, nonce: str | None = None) -> SignedRequest:
        ts = str(timestamp or int(time.time()))
        nonce = nonce or secrets.token_hex(8)
        params = {"signature": signature(self.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                  "openid": parse_xml(xml).get("FromUserName", "")}
        body = xml
        if self.crypto is not None:
            encrypted = self.crypto.encrypt(xml)
            params.update(encrypt_type="aes", msg_signature=self.crypto.sign(ts, nonce, encrypted))
            body = (f"<xml><ToUserName>{cdata(parse_xml(xml).get('ToUserName', ''))}</ToUserName>"
                    f"<Encrypt>{cdata(encrypted)}</Encrypt></xml>")
        return SignedRequest(urlencode(params), body.encode())

    def read_reply(self, body: bytes | str) -> dict[str, str] | None:
        """The reply's fields, or None for `success` / an empty body."""
        text = body.decode() if isinstance(body, bytes) else body
        if text.strip() in ("", "success"):
            return None
        fields = parse_xml(text)
        if self.crypto is not None and "Encrypt" in fields:
            expected = self.crypto.sign(fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
            if expected != fields.get("MsgSignature"):
                raise ValueError("the reply's MsgSignature does not verify")
            fields = parse_xml(self.crypto.decrypt(fields["Encrypt"]))
        return fields
