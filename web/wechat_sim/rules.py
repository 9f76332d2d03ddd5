"""WeChat's message rules as the fake enforces them (docs/wechat.md, "Pushes"):

- template values must fit their key's type (47003), the type being the key's name
  without trailing digits; keys of no known type (old-style `first`, `keyword1`) pass;
- a repeated client_msg_id to the same openid within 10 minutes is not sent again (the
  first msgid is answered);
- non-followers get 43004; a subscription notice needs an acceptance (43101), one each;
- customer-service messages (when windows are enforced): 45015 outside 48 hours of the
  member's last message, 45047 past 5 in that window or 3 within a minute of an event;
- a daily quota per API (45009).
"""
from __future__ import annotations

import re

CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
AMOUNT = re.compile(r"^[+-]?[¥￥$]?\d+(\.\d{1,2})?(元)?$")
TIME = re.compile(r"^(\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?)?\s?(\d{1,2}:\d{2}(:\d{2})?)?$")
ASCII_ONLY = re.compile(r"^[\x21-\x7e]+$")


def value_ok(key: str, value: object) -> bool:
    if not isinstance(value, str):
        return False
    kind = key.rstrip("0123456789")
    if kind == "thing":
        return 0 < len(value) <= 20
    if kind == "phrase":
        return 0 < len(value) <= 5 and all(CHINESE.match(ch) for ch in value)
    if kind == "character_string":
        return 0 < len(value) <= 32 and bool(ASCII_ONLY.match(value))
    if kind == "number":
        return len(value.replace("-", "").replace(".", "")) <= 32 and bool(NUMBER.match(value))
    if kind == "amount":
        signs = sum(value.count(c) for c in "¥￥$元")
        return signs <= 1 and bool(AMOUNT.match(value))
    if kind in ("time", "date"):
        return bool(value.strip()) and bool(TIME.match(value.strip()))
    if kind == "car_number":
        return 0 < len(value) <= 8
    if kind == "name":
        return 0 < len(value) <= (10 if CHINESE.search(value) else 20)
    return True  # an untyped key (old templates' first/keyword1/remark)


def data_ok(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not value_ok(str(key), value):
            return False
    return True
