"""The tag-rule language: a small condition over the profile's columns, as data (JSON,
or YAML typed in the console), validated before it is saved and compiled into SQL with
bound parameters only (an operator's value never becomes SQL text).

    {"all": [{"field": "visits_per_month", "op": ">=", "value": 3},
             {"field": "favourite_grade", "op": "in", "value": ["92", "95"]},
             {"any": [{"field": "favourite_hour", "op": "between", "value": [7, 9]},
                      {"field": "favourite_hour", "op": "between", "value": [17, 19]}]}]}

A condition is {"all": [...]} (every item holds) or {"any": [...]} (at least one), each
item a comparison {field, op, value} or another all/any group (at most 3 levels deep, 20
comparisons in all). FIELDS are the profile columns a rule may read; the operators:
= != > >= < <= (numbers: a value; codes: = and != only), between ([low, high], both
included), in / not_in (a list of 1-50 values), is_null / not_null (no value). A
comparison with a NULL column is false (not_in and != included): a member without a
favourite grade is in neither "favourite_grade in [92]" nor "not_in [92]".
"""
from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import yaml
from sqlalchemy import and_, delete, func, insert, literal, or_, select

from extensions import db
from loyalty.errors import ValidationError
from loyalty.profiles import segments
from models import MemberProfile, MemberTag, TagRule

log = logging.getLogger("youka.profiles")
MAX_TEXT, MAX_DEPTH, MAX_COMPARISONS, MAX_LIST = 4000, 3, 20, 50


@dataclass(frozen=True)
class Field:
    label: str
    kind: str  # int | decimal | code
    low: int = 0
    high: int = 10 ** 12
    choices: tuple[str, ...] = ()


FIELDS = {
    "visits_30d": Field("近30天到店次数", "int", 0, 100000),
    "visits_90d": Field("近90天到店次数", "int", 0, 100000),
    "visits_365d": Field("近一年到店次数", "int", 0, 100000),
    "visits_per_month": Field("月均到店次数", "decimal", 0, 100000),
    "avg_litres_ml": Field("平均每次加油（毫升）", "int"),
    "litres_365d_ml": Field("近一年加油（毫升）", "int"),
    "amount_365d_fen": Field("近一年消费（分）", "int"),
    "favourite_grade": Field("常加油品", "code"),
    "favourite_weekday": Field("常来星期（0 周一 .. 6 周日）", "int", 0, 6),
    "favourite_hour": Field("常来时段（0-23 时）", "int", 0, 23),
    "weekend_share_permille": Field("周末到店占比（‰）", "int", 0, 1000),
    "shop_share_permille": Field("非油消费占比（‰）", "int", 0, 1000),
    "days_since_last_visit": Field("距上次到店天数", "int", 0, 100000),
    "median_interval_days": Field("到店间隔中位数（天）", "decimal", 0, 100000),
    "r_score": Field("R 分", "int", 1, 5), "f_score": Field("F 分", "int", 1, 5), "m_score": Field("M 分", "int", 1, 5),
    "rfm_segment": Field("RFM 分群", "code", choices=segments.CODES),
}
NUMBER_OPS = ("=", "!=", ">", ">=", "<", "<=", "between", "in", "not_in", "is_null", "not_null")
CODE_OPS = ("=", "!=", "in", "not_in", "is_null", "not_null")
GRADE = re.compile(r"^[0-9A-Za-z]{1,8}$")


def _fail(message: str):
    raise ValidationError(message, field="condition")


def parse(text: str) -> dict:
    """The condition an operator typed (JSON or YAML), validated; ValidationError otherwise."""
    if not (text or "").strip():
        _fail("请填写条件")
    if len(text) > MAX_TEXT:
        _fail(f"条件最长 {MAX_TEXT} 字")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        _fail("条件不是有效的 JSON 或 YAML")
    return validate(data)


def _number(name: str, spec: Field, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        _fail(f"{name}（{spec.label}）的值须为数字")
    if spec.kind == "int":
        if not isinstance(value, int):
            _fail(f"{name}（{spec.label}）的值须为整数")
        number = value
    else:
        if isinstance(value, float) and not math.isfinite(value):
            _fail(f"{name}（{spec.label}）的值须为数字")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            _fail(f"{name}（{spec.label}）的值须为数字")
        if not number.is_finite() or number != number.quantize(Decimal("0.01")):
            _fail(f"{name}（{spec.label}）的值最多两位小数")
    if not spec.low <= number <= spec.high:
        _fail(f"{name}（{spec.label}）的值须在 {spec.low} 到 {spec.high} 之间")
    return number if spec.kind == "int" else format(number.normalize(), "f")


def _code(name: str, spec: Field, value):
    if isinstance(value, int) and not isinstance(value, bool) and name == "favourite_grade":
        value = str(value)  # YAML reads 92 as a number
    if not isinstance(value, str) or not (value in spec.choices if spec.choices else GRADE.match(value)):
        allowed = "、".join(spec.choices) if spec.choices else "油品代码（如 92、0）"
        _fail(f"{name}（{spec.label}）的值须为{allowed}")
    return value


def _comparison(item: dict) -> dict:
    name, op = item.get("field"), item.get("op")
    if set(item) - {"field", "op", "value"}:
        _fail(f"条件项只能有 field、op、value：{'、'.join(sorted(map(str, set(item) - {'field', 'op', 'value'})))}")
    if not isinstance(name, str) or name not in FIELDS:
        _fail(f"未知字段：{name}（可用：{'、'.join(FIELDS)}）")
    spec = FIELDS[name]
    ops = CODE_OPS if spec.kind == "code" else NUMBER_OPS
    if op not in ops:
        _fail(f"字段 {name} 不支持运算符 {op}（可用：{' '.join(ops)}）")
    one = _code if spec.kind == "code" else _number
    value = item.get("value")
    if op in ("is_null", "not_null"):
        if "value" in item:
            _fail(f"运算符 {op} 不需要值")
        return {"field": name, "op": op}
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            _fail(f"between 的值须为 [下限, 上限]（{name}）")
        low, high = one(name, spec, value[0]), one(name, spec, value[1])
        if Decimal(str(low)) > Decimal(str(high)):
            _fail(f"between 的下限不能大于上限（{name}）")
        return {"field": name, "op": op, "value": [low, high]}
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
            _fail(f"{op} 的值须为 1 到 {MAX_LIST} 个值的列表（{name}）")
        return {"field": name, "op": op, "value": [one(name, spec, v) for v in value]}
    if "value" not in item or isinstance(value, list):
        _fail(f"运算符 {op} 需要一个值（{name}）")
    return {"field": name, "op": op, "value": one(name, spec, value)}


def validate(data, depth: int = 1, counter: list | None = None) -> dict:
    """The condition in its stored form (values typed, decimals as strings); ValidationError
    with a Chinese message naming what is wrong."""
    counter = [0] if counter is None else counter
    if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in ("all", "any"):
        _fail("条件须为 {\"all\": [...]} 或 {\"any\": [...]}")
    if depth > MAX_DEPTH:
        _fail(f"条件最多嵌套 {MAX_DEPTH} 层")
    group, items = next(iter(data.items()))
    if not isinstance(items, list) or not items:
        _fail(f"{group} 须为非空列表")
    clean = []
    for item in items:
        if isinstance(item, dict) and ("all" in item or "any" in item):
            clean.append(validate(item, depth + 1, counter))
            continue
        if not isinstance(item, dict):
            _fail("每个条件项须为 {field, op, value}")
        counter[0] += 1
        if counter[0] > MAX_COMPARISONS:
            _fail(f"条件最多 {MAX_COMPARISONS} 项")
        clean.append(_comparison(item))
    return {group: clean}


def _typed(name: str, value):
    return Decimal(value) if FIELDS[name].kind == "decimal" else value


def compile_condition(condition: dict):
    """The SQLAlchemy expression over MemberProfile of a condition (validated first)."""
    condition = validate(condition)

    def build(node: dict):
        group, items = next(iter(node.items()))
        parts = [build(i) if ("all" in i or "any" in i) else comparison(i) for i in items]
        return and_(*parts) if group == "all" else or_(*parts)

    def comparison(item: dict):
        column, op, value = getattr(MemberProfile, item["field"]), item["op"], item.get("value")
        if op == "is_null":
            return column.is_(None)
        if op == "not_null":
            return column.is_not(None)
        if op == "between":
            return column.between(_typed(item["field"], value[0]), _typed(item["field"], value[1]))
        if op in ("in", "not_in"):
            values = [_typed(item["field"], v) for v in value]
            return column.in_(values) if op == "in" else and_(column.is_not(None), column.not_in(values))
        value = _typed(item["field"], value)
        return {"=": column == value, "!=": and_(column.is_not(None), column != value), ">": column > value,
                ">=": column >= value, "<": column < value, "<=": column <= value}[op]

    return build(condition)


def dry_run(condition: dict) -> int:
    """How many members' current profiles meet the condition (nothing written)."""
    return int(db.session.scalar(select(func.count()).select_from(MemberProfile)
                                 .where(compile_condition(condition))))


def apply_all() -> dict[str, int]:
    """Replace member_tags from the active rules (flushed); members per tag."""
    db.session.execute(delete(MemberTag))
    active = []
    for rule in db.session.scalars(select(TagRule).where(TagRule.active.is_(True)).order_by(TagRule.code)):
        try:
            where = compile_condition(rule.condition)
        except ValidationError as exc:  # only a row edited outside the console can be so
            log.warning("tag rule %s skipped: %s", rule.code, exc.message)
            continue
        active.append(rule.code)
        db.session.execute(insert(MemberTag.__table__).from_select(
            ["member_id", "tag_code"], select(MemberProfile.member_id, literal(rule.code)).where(where)))
    counts = dict(db.session.execute(select(MemberTag.tag_code, func.count()).group_by(MemberTag.tag_code)).all())
    return {code: counts.get(code, 0) for code in active}


def as_text(condition: dict) -> str:
    """A stored condition as the console shows it for editing."""
    return json.dumps(condition, ensure_ascii=False, indent=2)
