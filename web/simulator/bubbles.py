"""What the simulated phone shows, in one shape: a bubble is a dict with a `kind`
(text, image, news, template, subscribe, sms) and the fields that kind needs.

Replies are WeChat's passive-reply XML; pushes are the JSON bodies the service sent to
the fake WeChat API (customer-service messages, template messages, subscription notices);
SMS are the console backend's outbox entries. Media ids become this page's /simulator/media
URLs. Nothing here knows which notice a template carries: a template message is drawn as
WeChat draws a service notice, its typed fields (thing01, amount2, ...) in order, labelled
by their type unless the template's own labels are known (TEMPLATE_LABELS, or the
SIMULATOR_TEMPLATES setting: {template_id: {"title": ..., "labels": {key: label}}}).
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from defusedxml.ElementTree import fromstring
from flask import current_app, url_for

SMS_SENDER = "106 短信"
# WeChat's typed template keys (the 2023 category templates): a type name, then digits.
TYPE_LABELS = {
    "thing": "事项", "amount": "金额", "time": "时间", "date": "日期", "character_string": "编号",
    "phrase": "状态", "number": "数量", "car_number": "车牌号", "phone_number": "电话",
    "name": "姓名", "const": "说明", "letter": "字母", "symbol": "符号",
}
_KEY = re.compile(r"^([a-z_]+?)(\d+)?$")


def media_url(media_id: str) -> str:
    return url_for("simulator.media", media_id=media_id)


def _text(text: str) -> dict[str, Any]:
    return {"kind": "text", "text": text}


def _image(media_id: str) -> dict[str, Any]:
    return {"kind": "image", "src": media_url(media_id)}


def _news(articles: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "news", "articles": [
        {"title": a.get("title") or "", "description": a.get("description") or "",
         "url": a.get("url") or "", "picurl": a.get("picurl") or ""} for a in articles]}


def from_reply(xml: str | None) -> dict[str, Any] | None:
    """A passive reply (plain XML, already decrypted) as a bubble; None for `success`."""
    if not xml or xml.strip() == "success":
        return None
    root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    kind = root.findtext("MsgType") or ""
    if kind == "text":
        return _text(root.findtext("Content") or "")
    if kind == "image":
        return _image(root.findtext("Image/MediaId") or "")
    if kind == "news":
        return _news([{"title": item.findtext("Title"), "description": item.findtext("Description"),
                       "url": item.findtext("Url"), "picurl": item.findtext("PicUrl")}
                      for item in root.iter("item")])
    return _text(f"[{kind} 消息]")


def from_custom(body: dict[str, Any]) -> dict[str, Any]:
    """A customer-service message (message/custom/send) as a bubble."""
    kind = body.get("msgtype")
    part = body.get(kind) or {}
    if kind == "text":
        return _text(part.get("content", ""))
    if kind == "image":
        return _image(part.get("media_id", ""))
    if kind == "news":
        return _news(part.get("articles") or [])
    return _text(f"[{kind} 消息]")


def _template_info(template_id: str) -> dict[str, Any]:
    known = current_app.config.get("SIMULATOR_TEMPLATES") or {}
    return known.get(template_id) or {}


def field_label(key: str, labels: dict[str, str]) -> tuple[str, str]:
    """(label, type) of a template key: the template's own label, else its type's."""
    match = _KEY.match(key)
    kind = match.group(1) if match else key
    return labels.get(key) or TYPE_LABELS.get(kind, key), kind


def _position(key: str) -> int:
    # A template's keys carry their place on the card (thing01, amount2, time3); the JSON
    # the fake answers with has its keys sorted, so the number orders them back.
    match = _KEY.match(key)
    return int(match.group(2)) if match and match.group(2) else 10**6


def _fields(data: dict[str, Any], labels: dict[str, str]) -> list[dict[str, str]]:
    fields = []
    for key, value in sorted((data or {}).items(), key=lambda item: _position(item[0])):
        label, kind = field_label(key, labels)
        text = value.get("value", "") if isinstance(value, dict) else str(value)
        fields.append({"key": key, "type": kind, "label": label, "value": str(text)})
    return fields


def from_template(body: dict[str, Any]) -> dict[str, Any]:
    """A template message (message/template/send): a service-notice card."""
    info = _template_info(body.get("template_id", ""))
    return {"kind": "template", "title": info.get("title") or "服务通知",
            "template_id": body.get("template_id", ""), "fields": _fields(body.get("data"), info.get("labels") or {}),
            "url": body.get("url") or ""}


def from_subscribe(body: dict[str, Any]) -> dict[str, Any]:
    """A subscription notice (message/subscribe/bizsend): a card too, opening `page`."""
    info = _template_info(body.get("template_id", ""))
    return {"kind": "subscribe", "title": info.get("title") or "订阅通知",
            "template_id": body.get("template_id", ""), "fields": _fields(body.get("data"), info.get("labels") or {}),
            "url": body.get("page") or body.get("url") or ""}


def from_sms(entry: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "sms", "sender": SMS_SENDER, "text": entry.get("text", ""), "code": entry.get("code") or ""}


PUSH_KINDS = {"custom_messages": from_custom, "template_messages": from_template,
              "subscribe_messages": from_subscribe}


def pushes_for(recorded: dict[str, Any], openid: str) -> list[dict[str, Any]]:
    """Every push the fake recorded for this openid, in the order of each list, each with a
    stable id: its list, its position there and a digest of its body (a restarted fake
    numbers from 0 again, and the page must not take a new push for one it has shown)."""
    found = []
    for name, render in PUSH_KINDS.items():
        for position, body in enumerate(recorded.get(name) or []):
            if isinstance(body, dict) and body.get("touser") == openid:
                digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
                found.append({"id": f"{name}:{position}:{digest}", **render(body)})
    return found
