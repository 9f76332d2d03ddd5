"""What the cashier types (yuan and litres as decimal strings) to integers, and litres back
(fen back to yuan is loyalty.till.pricing.fen_to_yuan).

Decimal only, never float: "40.00" litres is 40000 ml, "306.5" yuan is 30650 fen. A value
with more precision than the unit holds (a thousandth of a fen) is refused, not rounded.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from loyalty.errors import ValidationError

MAX_LITRES_ML = 2_000_000  # 2 000 L: more than any tanker a station serves at one nozzle
MAX_AMOUNT_FEN = 10_000_000  # 100 000 yuan on one line or one top-up


def _decimal(raw, field: str, label: str) -> Decimal:
    text = str(raw if raw is not None else "").strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{label}格式不正确", field=field) from None
    if not value.is_finite() or value <= 0:
        raise ValidationError(f"{label}必须大于零", field=field)
    # Before any arithmetic: "1e999999999" would overflow (decimal.Overflow), "1e999990"
    # would cost half a minute of CPU turned into an int. No amount has 10 digits of yuan.
    if value.adjusted() >= 10:
        raise ValidationError(f"{label}过大", field=field)
    return value


def _scaled(value: Decimal, scale: int, field: str, message: str) -> int:
    scaled = value * scale
    if scaled != scaled.to_integral_value():
        raise ValidationError(message, field=field)
    return int(scaled)


def yuan_to_fen(raw, field: str = "amount", label: str = "金额") -> int:
    """"306.50" -> 30650. At most two decimals, above zero, at most MAX_AMOUNT_FEN."""
    fen = _scaled(_decimal(raw, field, label), 100, field, f"{label}最多两位小数")
    if fen > MAX_AMOUNT_FEN:
        raise ValidationError(f"{label}过大", field=field)
    return fen


def litres_to_ml(raw, field: str = "litres") -> int:
    """"40.00" -> 40000. At most three decimals (a millilitre), above zero."""
    ml = _scaled(_decimal(raw, field, "升数"), 1000, field, "升数最多三位小数")
    if ml > MAX_LITRES_ML:
        raise ValidationError("升数过大", field=field)
    return ml


def ml_to_litres(ml: int) -> str:
    """40000 -> "40.00", 40125 -> "40.125": two decimals as on the pump, three when needed."""
    text = f"{ml // 1000}.{ml % 1000:03d}"
    return text[:-1] if text.endswith("0") else text
