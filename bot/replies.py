"""What a handler may return, and how it becomes WeChat's passive-reply XML or a
customer-service message.

A handler returns a str (a text reply), one of the reply objects below, or None
(nothing to say: WeChat gets `success`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

# WeChat refuses passive text replies over 2048 bytes.
TEXT_LIMIT_BYTES = 2048
ELLIPSIS = "…"


def fit_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> str:
    """Cut text to at most `limit` UTF-8 bytes, never inside a character."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode())
    return raw[:room].decode("utf-8", "ignore") + ELLIPSIS


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _envelope(to: str, sender: str, msg_type: str, body: str) -> str:
    return (f"<xml><ToUserName>{cdata(to)}</ToUserName><FromUserName>{cdata(sender)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
            f"{body}</xml>")


@dataclass(frozen=True)
class Text:
    content: str

    def render(self, to: str, sender: str) -> str:
        return _envelope(to, sender, "text", f"<Content>{cdata(fit_text(self.content))}</Content>")

    def customer_message(self, openid: str) -> dict:
        return {"touser": openid, "msgtype": "text", "text": {"content": fit_text(self.content)}}

    def to_dict(self) -> dict:
        return {"type": "text", "content": self.content}


@dataclass(frozen=True)
class Image:
    media_id: str

    def render(self, to: str, sender: str) -> str:
        return _envelope(to, sender, "image", f"<Image><MediaId>{cdata(self.media_id)}</MediaId></Image>")

    def customer_message(self, openid: str) -> dict:
        return {"touser": openid, "msgtype": "image", "image": {"media_id": self.media_id}}

    def to_dict(self) -> dict:
        return {"type": "image", "media_id": self.media_id}


Reply = Text | Image


def as_reply(value) -> Reply | None:
    if value is None or isinstance(value, (Text, Image)):
        return value
    if isinstance(value, str):
        return Text(value) if value else None
    raise TypeError(f"a handler returned {type(value).__name__}; expected str, a reply or None")


def from_dict(data: dict) -> Reply:
    if data["type"] == "text":
        return Text(data["content"])
    if data["type"] == "image":
        return Image(data["media_id"])
    raise ValueError(f"unknown reply type {data['type']!r}")
