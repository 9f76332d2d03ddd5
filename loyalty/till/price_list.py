"""A sale's lines checked against the station's price list (models.StationPrice) before
anything is priced: what the POS sends must be what the pump sold.

For a fuel line:
- the unit price is the station's listed price for the grade, unless the line says
  `price_override` (a price change at the pump not yet in Youka, a contract price);
  otherwise UnitPriceMismatch;
- when the POS sends the pump's amount, it must equal litres x unit price rounded half
  up to the fen, within AMOUNT_TOLERANCE_ML's worth at the unit price (rounded half up,
  at least 1 fen); otherwise LineAmountMismatch. A pump that shows litres to 0.01 L
  rounds the volume by up to 5 ml, and a pump preset to an amount sells that amount.
"""
from __future__ import annotations

from loyalty import reference
from loyalty.errors import LineAmountMismatch, UnitPriceMismatch, ValidationError
from loyalty.till.pricing import FuelLine, fuel_amount_fen, half_up

AMOUNT_TOLERANCE_ML = 5


def tolerance_fen(unit_price_fen: int) -> int:
    """How far a pump's amount may be from litres x price: 5 ml at that price, >= 1 fen."""
    return max(1, half_up(AMOUNT_TOLERANCE_ML * unit_price_fen, 1000))


def check(station, lines) -> None:
    """Raise ValidationError, UnitPriceMismatch or LineAmountMismatch (naming the line's
    field) for the first line that is wrong; nothing is read but the price list (every
    grade, with this station's price when it has one: the cached reference data)."""
    if not lines:
        raise ValidationError("至少需要一行商品", field="lines")
    book = reference.current()
    prices = book.prices.get(station.id) or dict.fromkeys(book.grades)
    for i, line in enumerate(lines):
        if not isinstance(line, FuelLine):
            if line.amount_fen <= 0:
                raise ValidationError("金额必须大于零", field=f"lines[{i}].amount_fen")
            continue
        if line.grade not in prices:
            raise ValidationError(f"未知油品 {line.grade}", field=f"lines[{i}].grade")
        if line.litres_ml <= 0 or line.unit_price_fen <= 0:
            raise ValidationError("升数和单价必须大于零", field=f"lines[{i}]")
        listed = prices[line.grade]
        if not line.price_override and line.unit_price_fen != listed:
            listed_text = f"{listed} 分/升" if listed else "无此油品"
            raise UnitPriceMismatch(f"lines[{i}].unit_price_fen: 单价 {line.unit_price_fen} 分/升与本站价目表"
                                    f"（{listed_text}）不符", field=f"lines[{i}].unit_price_fen",
                                    listed_fen=listed)
        if line.amount_fen is not None:
            expected = fuel_amount_fen(line.litres_ml, line.unit_price_fen)
            if abs(line.amount_fen - expected) > tolerance_fen(line.unit_price_fen):
                raise LineAmountMismatch(f"lines[{i}].amount_fen: 金额 {line.amount_fen} 分与升数 × 单价"
                                         f"（{expected} 分）不符", field=f"lines[{i}].amount_fen",
                                         expected_fen=expected)
