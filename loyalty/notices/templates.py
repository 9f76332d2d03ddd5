"""The notice-kind -> template mapping: which WeChat template a kind is sent with on the
`template` and `subscribe` channels, and which of the kind's fields fills each key.

The defaults are config.py's NOTICE_TEMPLATES / SUBSCRIBE_TEMPLATES (JSON settings); an
HQ operator overrides one kind on one channel in the console (/admin/notice-templates,
loyalty.config_changes.save_notice_template, rows of models.NoticeTemplate, read with the
reference data so every process sees an edit at once), or switches it off.

An entry is checked before it is saved (`check`): the template id, and each key's type
(its name without the digits, docs/pushes.md) against the type of the field it is filled
from, so a mapping that WeChat would refuse (47003) or that names a field the kind does not
have is refused in Chinese instead.
"""
from __future__ import annotations

import re
from collections import ChainMap

from flask import current_app

from loyalty import reference
from loyalty.errors import ValidationError
from loyalty.notices.kinds import SPECS, Channel, Kind

CHANNELS = {"template": "NOTICE_TEMPLATES", "subscribe": "SUBSCRIBE_TEMPLATES"}
CHANNEL_NAMES = {"template": "模板消息", "subscribe": "订阅消息"}
LINK_NAME = {"template": "url", "subscribe": "page"}  # what the sender reads the link as

# The fields each kind's formatter produces (loyalty.notices.kinds), by type:
# text (str), int (a count), fen (money), moment (a UTC datetime), day (a date).
FIELDS: dict[Kind, dict[str, str]] = {
    Kind.RECEIPT: {"station": "text", "litres": "text", "amount": "fen", "points": "int", "balance": "int",
                   "time": "moment"},
    Kind.REFUND: {"station": "text", "amount": "fen", "points": "int", "time": "moment"},
    Kind.BALANCE_LOW: {"balance": "fen", "threshold": "fen", "note": "text"},
    Kind.TIER_UP: {"tier": "text", "previous": "text", "note": "text"},
    Kind.TIER_DOWN: {"tier": "text", "previous": "text", "note": "text"},
    Kind.COUPON_ISSUED: {"coupon": "text", "valid_until": "day", "note": "text"},
    Kind.POINTS_EXPIRING: {"points": "int", "expires_on": "day", "days": "int", "note": "text"},
    Kind.COUPON_EXPIRING: {"count": "int", "expires_on": "day", "note": "text"},
    Kind.BIRTHDAY: {"coupon": "text", "note": "text"},
    Kind.RECALL: {"coupon": "text", "days": "int", "note": "text"},
    Kind.INSPECTION: {"plate": "text", "due_on": "day", "note": "text"},
    Kind.SURVEY: {"station": "text", "time": "moment", "sale_id": "int"},
    Kind.FEEDBACK_ANSWER: {"number": "text", "answer": "text", "note": "text"},
    Kind.INVOICE_ISSUED: {"invoice_no": "text", "amount": "fen", "pdf_url": "text", "note": "text"},
    Kind.INVOICE_REJECTED: {"amount": "fen", "reason": "text", "note": "text"},
    Kind.CAMPAIGN: {"text": "text", "sms_text": "text", "coupon": "text", "points": "int"},
}
# Which field types each key type can show (bot/channels/values.py formats them).
ACCEPTS = {"thing": {"text", "int"}, "phrase": {"text"}, "name": {"text"}, "character_string": {"text", "int"},
           "car_number": {"text"}, "number": {"int"}, "amount": {"fen"}, "time": {"moment", "day"},
           "date": {"moment", "day"}}
TYPE_NAMES = {"text": "文字", "int": "数字", "fen": "金额", "moment": "时间", "day": "日期"}
TEMPLATE_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
KEY = re.compile(r"[a-z_]{4,20}[0-9]{1,3}")
LINK = {"template": re.compile(r"https?://[\x21-\x7e]{1,500}"), "subscribe": re.compile(r"[\x21-\x7e]{1,512}")}
MAX_KEYS = 10
assert set(FIELDS) == set(Kind)  # and ACCEPTS names bot/channels/values.py's FORMATTERS (a test checks)


def key_type(key: str) -> str:
    """`thing01` -> "thing" (as bot/channels/values.py reads a key)."""
    return key.rstrip("0123456789")


def kinds_of(channel: str) -> list[Kind]:
    """The kinds that may go by this channel (a marketing kind never by template message)."""
    return [k for k, spec in SPECS.items() if Channel(channel) in spec.channels]


def _fail(message: str, field: str):
    raise ValidationError(message, field=field)


def check(channel: str, kind: str, entry: dict) -> dict:
    """`entry` ({"template_id", "keys", "link"}) if it fits the kind and the channel;
    ValidationError (Chinese, naming the field) otherwise."""
    if channel not in CHANNELS:
        _fail("没有这种发送渠道", "channel")
    if kind not in {k.value for k in kinds_of(channel)}:
        _fail(f"通知类型 {kind} 不能用{CHANNEL_NAMES[channel]}发送", "kind")
    if not TEMPLATE_ID.fullmatch(entry.get("template_id") or ""):
        _fail("模板 ID 应为 1-64 位字母、数字、下划线或横线", "template_id")
    keys = entry.get("keys") or {}
    if not keys:
        _fail("请至少填写一个模板字段", "keys")
    if len(keys) > MAX_KEYS:
        _fail(f"模板字段最多 {MAX_KEYS} 个", "keys")
    fields = FIELDS[Kind(kind)]
    for key, field in keys.items():
        kind_of_key = key_type(key)
        if not KEY.fullmatch(key) or kind_of_key not in ACCEPTS:
            _fail(f"模板字段 {key[:24]} 的类型不认识：应为 {' / '.join(ACCEPTS)} 加编号，如 thing1", "keys")
        if field not in fields:
            _fail(f"通知类型 {kind} 没有内容 {field[:24]}：可用 {'、'.join(fields)}", "keys")
        if fields[field] not in ACCEPTS[kind_of_key]:
            _fail(f"{key} 是 {kind_of_key} 类型，不能填{TYPE_NAMES[fields[field]]}内容 {field}", "keys")
    link = entry.get("link") or None
    if link is not None and not LINK[channel].fullmatch(link):
        _fail("跳转链接应为 http(s):// 开头、不含空格的网址" if channel == "template" else "小程序页面路径不能含空格",
              "link")
    return {"template_id": entry["template_id"], "keys": dict(keys), "link": link}


def parse_keys(text: str) -> dict[str, str]:
    """The keys as typed on the form, one a line: `thing1 = station` (or `thing1: station`)."""
    keys: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = re.split(r"\s*[=:：]\s*", line.strip(), maxsplit=1)
        if len(parts) != 2 or not parts[0] or not parts[1]:
            _fail(f"每行写一个字段，如 thing1 = station：{line.strip()[:30]}", "keys")
        if parts[0] in keys:
            _fail(f"模板字段 {parts[0][:24]} 写了两次", "keys")
        keys[parts[0]] = parts[1]
    return keys


def _as_entry(channel: str, value: dict) -> dict:
    return {"template_id": value["template_id"], "keys": dict(value["keys"]),
            "link": value.get(LINK_NAME[channel]) or value.get("link")}


def default(channel: str, kind: str) -> dict | None:
    """The entry config.py gives the kind on this channel, as {"template_id", "keys", "link"}."""
    value = current_app.config[CHANNELS[channel]].get(kind)
    return None if value is None else _as_entry(channel, value)


def overridden(channel: str, kind: str) -> bool:
    """Whether operators set this kind's template on this channel (else config.py's default holds)."""
    return (channel, kind) in reference.current().notice_templates


def current(channel: str, kind: str) -> dict | None:
    """The entry in force: the operators' (None if they switched it off), else the default."""
    overrides = reference.current().notice_templates
    if (channel, kind) not in overrides:
        return default(channel, kind)
    entry = overrides[(channel, kind)]  # a copy: the cached reference data is shared by every thread
    return None if entry is None else {**entry, "keys": dict(entry["keys"])}


def mapping(channel: str) -> dict[str, dict]:
    """kind -> the sender's entry ({"template_id", "keys", "url" | "page"?}) for every kind
    that has a template on this channel now."""
    out = {kind: dict(value) for kind, value in current_app.config[CHANNELS[channel]].items()}
    for (ch, kind), entry in reference.current().notice_templates.items():
        if ch != channel:
            continue
        out.pop(kind, None)
        if entry is not None:
            out[kind] = {"template_id": entry["template_id"], "keys": dict(entry["keys"])}
            if entry["link"]:
                out[kind][LINK_NAME[channel]] = entry["link"]
    return out


def sender_config():
    """The app's settings with the mapping in force: what the senders (bot/channels) read."""
    return ChainMap({name: mapping(channel) for channel, name in CHANNELS.items()}, current_app.config)
