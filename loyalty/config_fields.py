"""The fields an operator edits on the console's configuration forms, per kind, and their
checks: form text in, typed column values out (fen and counts as integers, times in
business time stored as UTC). Pure: no database. ValidationError names the field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from loyalty.books.ledger import as_utc
from loyalty.changes import CONTROL
from loyalty.errors import ValidationError
from loyalty.policy import BUSINESS_TZ
from models.coupon import COUPON_KINDS
from models.reward import REWARD_KINDS

CODE = re.compile(r"^[A-Za-z0-9_\-]{2,32}$")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str = "text"  # text | int | decimal | bool | choice | moment
    required: bool = False
    max_len: int = 64
    minimum: int = 0
    maximum: int | None = None
    choices: tuple[str, ...] = ()


COUPON_TEMPLATE = (
    Field("name", "名称", required=True), Field("kind", "类型", "choice", True, choices=COUPON_KINDS),
    Field("amount_fen", "减免金额（分）", "int", minimum=1), Field("min_spend_fen", "最低消费（分）", "int"),
    Field("percent_bp", "折扣（基点，1000 = 9折）", "int", minimum=1, maximum=10000),
    Field("cap_fen", "最多减（分）", "int", minimum=1), Field("per_litre_fen", "每升减（分）", "int", minimum=1),
    Field("grades", "限油号（逗号分隔）"), Field("item_sku", "免费商品 SKU"), Field("item_category", "免费商品类别", max_len=32),
    Field("bundle_min_litres_ml", "组合：最少加油（毫升）", "int", minimum=1),
    Field("bundle_min_shop_fen", "组合：最少便利店消费（分）", "int", minimum=1),
    Field("valid_days", "有效天数", "int"), Field("valid_from", "固定开始", "moment"),
    Field("valid_until", "固定结束", "moment"), Field("stations", "限油站（逗号分隔）", max_len=512),
    Field("stackable", "可叠加", "bool"), Field("active", "启用", "bool"),
)
REWARD = (
    Field("name", "名称", required=True), Field("kind", "类型", "choice", True, choices=REWARD_KINDS),
    Field("description", "说明", max_len=512), Field("points_price", "所需积分", "int", True, minimum=1),
    Field("stock", "库存（空：不限）", "int"), Field("per_member_limit", "每人限兑（空：不限）", "int", minimum=1),
    Field("starts_at", "上架时间", "moment"), Field("ends_at", "下架时间", "moment"),
    Field("coupon_template_code", "兑换的优惠券模板", max_len=32), Field("sort_order", "排序", "int"),
    Field("active", "启用", "bool"),
)
TOPUP_BONUS_RULE = (
    Field("label", "名称（如 充1000送50）", required=True), Field("min_topup_fen", "充值满（分）", "int", True, minimum=1),
    Field("bonus_fen", "赠送（分）", "int", True, minimum=1), Field("starts_at", "开始", "moment"),
    Field("ends_at", "结束", "moment"), Field("active", "启用", "bool"),
)
TIER = (
    Field("name", "名称", required=True, max_len=16), Field("threshold", "门槛", "int", True),
    Field("per_litre_discount_fen", "每升直降（分）", "int", True),
    Field("points_multiplier", "积分倍数", "decimal", True), Field("perks", "权益说明", max_len=512),
    Field("upgrade_reward_points", "升级奖励积分", "int", True),
    Field("upgrade_reward_coupon", "升级奖励券模板", max_len=32),
)


def _fail(field: Field, problem: str):
    raise ValidationError(f"{field.label}：{problem}", field=field.name)


def _value(field: Field, raw):
    text = raw.strip() if isinstance(raw, str) else raw
    if field.type == "bool":
        return raw not in (None, "", "0", "false", "off")
    if text in (None, ""):
        if field.required:
            _fail(field, "必填")
        return None
    if not isinstance(text, str) or CONTROL.search(text):
        _fail(field, "格式有误")
    if field.type == "int":
        if not re.fullmatch(r"-?[0-9]{1,15}", text):
            _fail(field, "应为整数")
        value = int(text)
        if value < field.minimum or (field.maximum is not None and value > field.maximum):
            _fail(field, f"应在 {field.minimum} 至 {field.maximum or '不限'} 之间")
        return value
    if field.type == "decimal":
        try:
            return Decimal(text)  # the tier ladder's own check (loyalty.rules.schema) judges the range
        except InvalidOperation:
            _fail(field, "应为数字")
    if field.type == "choice":
        if text not in field.choices:
            _fail(field, f"应为 {' / '.join(field.choices)} 之一")
        return text
    if field.type == "moment":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            _fail(field, "应为时间，如 2026-12-01 08:00")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BUSINESS_TZ)
        return moment.astimezone(timezone.utc)
    if len(text) > field.max_len:
        _fail(field, f"最长 {field.max_len} 字")
    return text


def clean(fields: tuple[Field, ...], form) -> dict:
    """The typed values of a submitted form (a mapping of strings; a missing checkbox is False)."""
    values = {f.name: _value(f, form.get(f.name)) for f in fields}
    for start, end in (("valid_from", "valid_until"), ("starts_at", "ends_at")):
        if values.get(start) and values.get(end) and values[start] >= values[end]:
            raise ValidationError("结束时间应晚于开始时间", field=end)
    return values


def form_values(fields: tuple[Field, ...], row) -> dict:
    """A row's values as the form shows them (times in business time), '' for nothing."""
    out = {}
    for f in fields:
        value = getattr(row, f.name, None) if row is not None else None
        if f.type == "moment" and value is not None:
            value = as_utc(value).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
        elif f.type == "decimal" and value is not None:
            value = format(Decimal(value).normalize(), "f")
        out[f.name] = value if f.type == "bool" else ("" if value is None else str(value))
    return out


def check_code(code: str | None) -> str:
    """An object's code as given (2-32 letters, digits, _ or -); ValidationError otherwise."""
    code = (code or "").strip()
    if not CODE.match(code):
        raise ValidationError("代码须为 2-32 位字母、数字、下划线或横线", field="code")
    return code
