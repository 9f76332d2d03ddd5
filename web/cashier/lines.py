"""The sale lines the page sends, checked and priced from the station's own price board.

The page never sends a unit price: a fuel line names the grade and either the litres
("40.00") or, as the pump shows it, the amount ("300.00", litres then derived).
"""
from __future__ import annotations

from sqlalchemy import select

from extensions import db
from loyalty.errors import ValidationError
from loyalty.till.pricing import FuelLine, ShopLine, fen_to_yuan, half_up
from models import FuelGrade, ShopCategory, Station, StationPrice
from web.cashier.money import litres_to_ml, yuan_to_fen

MAX_LINES = 20


def price_board(station: Station) -> list[dict]:
    """The station's fuel grades with their price a litre, in grade order."""
    rows = db.session.execute(
        select(StationPrice.grade_code, FuelGrade.name, StationPrice.price_fen)
        .join(FuelGrade, FuelGrade.code == StationPrice.grade_code)
        .where(StationPrice.station_id == station.id).order_by(StationPrice.grade_code)).all()
    # 92, 95, 98 first, then 0# diesel, as a price board reads.
    return sorted(({"code": c, "name": n, "price_fen": p, "price": fen_to_yuan(p)} for c, n, p in rows),
                  key=lambda g: (g["code"] == "0", g["code"]))


def shop_categories() -> list[dict]:
    return [{"code": c, "name": n} for c, n in db.session.execute(
        select(ShopCategory.code, ShopCategory.name).order_by(ShopCategory.code)).all()]


def parse_lines(raw, station: Station) -> list[FuelLine | ShopLine]:
    """FuelLine / ShopLine objects from the request's lines; ValidationError names the line."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError("请至少录入一行油品或商品", field="lines")
    if len(raw) > MAX_LINES:
        raise ValidationError(f"一单最多 {MAX_LINES} 行", field="lines")
    prices = {g["code"]: g["price_fen"] for g in price_board(station)}
    categories = {c["code"] for c in shop_categories()}
    return [_line(item, i, prices, categories) for i, item in enumerate(raw)]


def _line(item, i: int, prices: dict, categories: set) -> FuelLine | ShopLine:
    if not isinstance(item, dict):
        raise ValidationError(f"第 {i + 1} 行格式有误", field=f"lines[{i}]")
    where = f"lines[{i}]"
    if item.get("kind") == "fuel":
        grade = str(item.get("grade") or "")
        if grade not in prices:
            raise ValidationError(f"第 {i + 1} 行：本站没有该油品的价格", field=f"{where}.grade")
        price = prices[grade]
        if str(item.get("litres") or "").strip():
            return FuelLine(grade, litres_to_ml(item["litres"], f"{where}.litres"), price)
        if str(item.get("amount") or "").strip():
            amount = yuan_to_fen(item["amount"], f"{where}.amount", "加油金额")
            # The pump's amount is the line's gross; litres follow from the price, to the ml.
            return FuelLine(grade, max(1, half_up(amount * 1000, price)), price, amount_fen=amount)
        raise ValidationError(f"第 {i + 1} 行：请填写升数或金额", field=f"{where}.litres")
    if item.get("kind") == "shop":
        category = str(item.get("category") or "")
        if category not in categories:
            raise ValidationError(f"第 {i + 1} 行：未知商品类别", field=f"{where}.category")
        sku = str(item.get("sku") or "").strip()[:64] or None
        return ShopLine(category, yuan_to_fen(item.get("amount"), f"{where}.amount", "商品金额"), sku)
    raise ValidationError(f"第 {i + 1} 行：类型须为油品或商品", field=f"{where}.kind")
