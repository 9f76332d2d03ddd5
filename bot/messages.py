"""Parsing WeChat's inbound XML, safely.

Any DOCTYPE or entity declaration is refused before anything is expanded (XXE,
billion laughs); so is anything that is not a flat <xml> document.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring


class BadMessage(Exception):
    """The body is not a well-formed, safe WeChat message."""


def parse_xml(body: bytes | str) -> dict[str, str]:
    """Parse a flat WeChat XML document into {tag: text}; nested tags become "Parent.Child"."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadMessage(f"malformed XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise BadMessage("root element is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child) and any(len(grand) for grand in child):
            # A list of records (the subscription-notice events' <List> items): kept as a
            # JSON list of {tag: text} under the parent's tag (Message.records reads it).
            fields[child.tag] = json.dumps([{leaf.tag: (leaf.text or "").strip() for leaf in grand}
                                            for grand in child if len(grand)], ensure_ascii=False)
        elif len(child):
            for grand in child:
                fields[f"{child.tag}.{grand.tag}"] = (grand.text or "").strip()
        else:
            fields[child.tag] = child.text or ""
    return fields


@dataclass(frozen=True)
class Message:
    """One inbound message or event, as WeChat sent it."""

    fields: dict[str, str]

    @classmethod
    def from_xml(cls, body: bytes | str) -> "Message":
        fields = parse_xml(body)
        for required in ("ToUserName", "FromUserName", "MsgType"):
            if not fields.get(required):
                raise BadMessage(f"missing {required}")
        return cls(fields)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def records(self, name: str) -> list[dict[str, str]]:
        """The items of a list-valued element (e.g. SubscribeMsgPopupEvent's <List>s)."""
        raw = self.fields.get(name)
        try:
            items = json.loads(raw) if raw else []
        except ValueError:
            return []
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    @property
    def openid(self) -> str:
        return self.fields["FromUserName"]

    @property
    def account(self) -> str:
        return self.fields["ToUserName"]

    # Read by every route's test: worked out once per message.
    @cached_property
    def type(self) -> str:
        return self.fields["MsgType"].lower()

    @cached_property
    def event(self) -> str:
        return self.get("Event").lower() if self.type == "event" else ""

    @property
    def event_key(self) -> str:
        return self.get("EventKey")

    @cached_property
    def content(self) -> str:
        return self.get("Content").strip()

    @property
    def create_time(self) -> str:
        return self.get("CreateTime")

    @property
    def scene(self) -> str | None:
        """The scene of a parametric QR code: SCAN events carry it bare, subscribe events
        prefix it with `qrscene_`."""
        if self.event == "scan":
            return self.event_key or None
        if self.event == "subscribe" and self.event_key.startswith("qrscene_"):
            return self.event_key[len("qrscene_"):]
        return None

    def dedup_key(self) -> str:
        """WeChat's retries of one delivery share this key: the MsgId for messages,
        FromUserName + CreateTime + Event for events (which carry no MsgId)."""
        msg_id = self.get("MsgId")
        if msg_id:
            return f"m:{msg_id}"
        return f"e:{self.openid}:{self.create_time}:{self.event}:{self.event_key}"
