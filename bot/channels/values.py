"""Template values, formatted per key type so WeChat accepts them (else 47003).

A template key's type is its name without the trailing digits (`thing01` -> thing,
`amount2` -> amount). Each formatter takes the value a notice kind produced (str, int fen,
date, datetime, ...) and returns a string that fits its type:

  thing             <= 20 characters (cut with an ellipsis)
  phrase            <= 5 Chinese characters, nothing else
  character_string  <= 32 letters, digits or symbols, no Chinese
  number            <= 32 digits (an optional sign and decimal point)
  amount            a number with at most one currency sign: ¥306.00
  time / date       24-hour time with optional date, Shanghai: 2026-12-03 14:05
  car_number        <= 8 characters, a plate without spaces
  name              <= 10 characters (20 letters without Chinese)
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Callable

from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")  # as loyalty.policy's; bot/ does not import loyalty

ELLIPSIS = "…"
CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# character_string: printable ASCII only (letters, digits, symbols).
ASCII = re.compile(r"[^\x21-\x7e]")


def key_type(key: str) -> str:
    """`thing01` -> "thing"; `character_string4` -> "character_string"."""
    return key.rstrip("0123456789")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def thing(value: Any) -> str:
    return _cut(" ".join(str(value).split()), 20) or "-"


def phrase(value: Any) -> str:
    only_chinese = "".join(CHINESE.findall(str(value)))
    return only_chinese[:5] or "通知"


def character_string(value: Any) -> str:
    return ASCII.sub("", str(value))[:32] or "-"


def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"number wants an int, got {value!r}")
    return str(value)[:32]


def amount(value: Any) -> str:
    """Fen (int) -> ¥306.00; a negative amount keeps its sign before the currency sign."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"amount wants fen as an int, got {value!r}")
    sign = "-" if value < 0 else ""
    fen = abs(value)
    return f"{sign}¥{fen // 100}.{fen % 100:02d}"


def time(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("time wants an aware datetime (stored UTC)")
        return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return date.fromisoformat(value).isoformat()
    raise TypeError(f"time wants a date or datetime, got {value!r}")


def car_number(value: Any) -> str:
    plate = "".join(str(value).split()).upper().replace("·", "").replace("-", "")
    return plate[:8] or "-"


def name(value: Any) -> str:
    text = " ".join(str(value).split())
    return _cut(text, 10 if CHINESE.search(text) else 20) or "-"


FORMATTERS: dict[str, Callable[[Any], str]] = {
    "thing": thing, "phrase": phrase, "character_string": character_string, "number": number,
    "amount": amount, "time": time, "date": time, "car_number": car_number, "name": name,
}


def value_for(key: str, value: Any) -> str:
    """Format `value` for template key `key` ("-" for a missing value); an unknown key
    type is a configuration error."""
    kind = key_type(key)
    if kind not in FORMATTERS:
        raise KeyError(f"template key {key!r}: unknown type {kind!r}")
    return "-" if value is None and kind != "phrase" else FORMATTERS[kind](value)


def template_data(keys: dict[str, str], fields: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The `data` of a template or subscription message: each configured key (key ->
    the notice's field name) with its field's value formatted for the key's type."""
    return {key: {"value": value_for(key, fields[field])} for key, field in keys.items()}
