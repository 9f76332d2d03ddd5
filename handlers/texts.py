"""Reply texts: every member-facing sentence lives in templates/replies/*.txt (Jinja), so
wording is changed without code. `render` fills a template; `static` renders a template
without variables once per app (the help reply). The replies of loyalty.reply_texts.EDITABLE
HQ operators may reword in the console: their text, when there is one, is used instead of
the shipped template (read with the reference data, so an edit shows at once; never cached here).

The filters below are registered on the app (handlers.init_app), for chat replies and
the H5 pages alike:
    {{ fen|yuan }}        30650 -> "306.50"   (loyalty.till.pricing.fen_to_yuan)
    {{ ml|litres }}       30005 -> "30.01"    (two decimals, half up)
    {{ phone|masked }}    "13800001234" -> "138****1234"
    {{ utc|day }}         an aware UTC datetime -> "2026-12-01", the Asia/Shanghai date
    {{ utc|minute }}      -> "12-01 08:30", Asia/Shanghai
    {{ d|number }}        Decimal("1.500") -> "1.5" (loyalty.rules.engine.format_decimal)
"""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import Flask, current_app

from loyalty import reply_texts
from loyalty.books.ledger import as_utc
from loyalty.people.members import mask_phone
from loyalty.policy import BUSINESS_TZ
from loyalty.rules.engine import format_decimal
from loyalty.till.pricing import fen_to_yuan


def render(name: str, **context) -> str:
    """templates/replies/<name>.txt filled with `context`, without surrounding blank lines.
    Block tags take their own line away (trim_blocks, lstrip_blocks), so a reply template
    reads like the reply; the app's filters below apply."""
    if name in reply_texts.EDITABLE:
        text = reply_texts.override(name)
        if text is not None:
            return reply_texts.fill(name, text, context)
    env = current_app.extensions["reply_jinja"]
    return env.get_template(f"replies/{name}.txt").render(**context).strip()


def static(name: str, **context) -> str:
    """A template whose text never changes while the app runs (no variables, or only
    ones fixed at start such as the registered commands): rendered once per app."""
    if name in reply_texts.EDITABLE:  # operators may reword it: read as the reference data is
        return render(name, **context)
    cache = current_app.extensions.setdefault("static_replies", {})
    if name not in cache:
        cache[name] = render(name, **context)
    return cache[name]


def litres(ml: int) -> str:
    """Millilitres as litres with two decimals, half up: 30005 -> "30.01"."""
    return str((Decimal(int(ml)) / 1000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _local(value: datetime) -> datetime:
    return as_utc(value).astimezone(BUSINESS_TZ)


def day(value: datetime) -> str:
    return f"{_local(value):%Y-%m-%d}"


def minute(value: datetime) -> str:
    return f"{_local(value):%m-%d %H:%M}"


def init_app(app: Flask) -> None:
    # An overlay shares the app's loader and filters, with line-friendly block handling.
    app.extensions["reply_jinja"] = app.jinja_env.overlay(trim_blocks=True, lstrip_blocks=True)
    for name, fn in (("yuan", fen_to_yuan), ("litres", litres), ("masked", mask_phone),
                     ("day", day), ("minute", minute), ("number", format_decimal)):
        app.add_template_filter(fn, name)
