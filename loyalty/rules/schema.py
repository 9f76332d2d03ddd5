"""Validation of a rules document (a dict read from YAML or JSON) into plain values.

Pure: no database. Every error is a ValidationError whose `details["field"]` is the path
of the bad value ("multipliers[1].factor"), and whose message says it in Chinese.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal

from loyalty.errors import ValidationError
from loyalty.policy import BUSINESS_TZ
from loyalty.rules.engine import EarnRule, Multiplier, Ruleset, grade_code
from models.member import IDENTITIES
from models.rule import EARNING_KINDS, MULTIPLIER_KINDS, STACKING

_TOP = {"name", "stacking", "caps", "earning", "multipliers", "tiers"}
_EARNING = {"per_litre": ({"grade", "per_ml"}, "per_ml"), "per_amount": ({"applies_to", "per_fen"}, "per_fen"),
            "per_category": ({"category", "per_fen"}, "per_fen")}
_MULTIPLIER = {"identity": {"identities"}, "weekday": {"weekdays", "from", "to"},
               "birthday": {"scope"}, "campaign": {"starts_at", "ends_at", "stations"}}
_TIER = {"code", "name", "threshold", "per_litre_discount_fen", "points_multiplier", "perks",
         "upgrade_reward_points", "upgrade_reward_coupon", "trial"}
_WEEKDAYS = {"周一": 1, "周二": 2, "周三": 3, "周四": 4, "周五": 5, "周六": 6, "周日": 7, "周天": 7}


@dataclass(frozen=True)
class TierSpec:
    code: str
    name: str
    threshold: int
    per_litre_discount_fen: int
    points_multiplier: Decimal
    perks: str | None
    upgrade_reward_points: int
    upgrade_reward_coupon: str | None
    is_trial: bool

    def fields(self) -> dict:
        """The Tier columns to set (all but the code)."""
        values = asdict(self)
        del values["code"]
        return values


@dataclass(frozen=True)
class Document:
    name: str
    ruleset: Ruleset
    tiers: list[TierSpec] | None  # None: leave the tiers as they are


def _fail(field: str, problem: str):
    raise ValidationError(f"规则文件有误：{field}：{problem}", field=field)


def _mapping(value, field: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        _fail(field, "应为键值表")
    for key in value:
        if key not in allowed:
            _fail(f"{field}.{key}" if field else str(key), "不认识的字段")
    return value


def _int(value, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(field, "应为整数")
    if value < minimum:
        _fail(field, f"不能小于 {minimum}")
    return value


def _text(value, field: str, max_len: int, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a grade written as 92
    if not isinstance(value, str) or not value.strip():
        _fail(field, "应为非空文字")
    if len(value.strip()) > max_len:
        _fail(field, f"不能超过 {max_len} 个字")
    if re.search(r"[\x00-\x1f\x7f]", value):  # PostgreSQL cannot store NUL; no label needs a control character
        _fail(field, "不能包含控制字符")
    return value.strip()


def _factor(value, field: str) -> Decimal:
    # float is refused on purpose: our YAML and JSON readers give Decimal, and a float
    # from Python code would bring binary rounding into points.
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except ArithmeticError:
            _fail(field, "应为数字")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not Decimal(value).is_finite():
        _fail(field, "应为整数或小数（如 1.5，不要用浮点数）")
    value = Decimal(value)
    if not 0 < value <= 100 or value != value.quantize(Decimal("0.001")):
        _fail(field, "应大于 0、不超过 100，最多 3 位小数")
    return value


def _minute(value, field: str) -> int:
    # Unquoted 06:00 in YAML 1.1 is the base-60 integer 360: minutes from midnight, as wanted.
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,2}:[0-9]{2}", value):  # not isdigit(): "²" is one
        hours, mins = (int(p) for p in value.split(":"))
        minutes = hours * 60 + mins if mins < 60 else -1
    else:
        minutes = -1
    if not 0 <= minutes <= 1440:
        _fail(field, "应为 HH:MM 形式的时间（00:00 至 24:00）")
    return minutes


def _moment(value, field: str) -> datetime:
    """A campaign bound: a date or date-time; without a zone it is business time. UTC out."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            _fail(field, "应为日期或时间，如 2026-12-01 或 2026-12-01 08:00")
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not isinstance(value, datetime):
        _fail(field, "应为日期或时间")
    if value.tzinfo is None:
        value = value.replace(tzinfo=BUSINESS_TZ)
    return value.astimezone(timezone.utc)


def _list(value, field: str) -> list:
    if not isinstance(value, list) or not value:
        _fail(field, "应为非空列表")
    return value


def _earning(raw, field: str) -> EarnRule:
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in EARNING_KINDS:
        _fail(f"{field}.kind", f"应为 {' / '.join(EARNING_KINDS)} 之一")
    extra, per_key = _EARNING[kind]
    _mapping(raw, field, {"kind", "label", "points"} | extra)
    for key in sorted(extra):
        if key not in raw and key != "applies_to":
            _fail(f"{field}.{key}", "必填")
    applies_to = raw.get("applies_to", "all")
    if applies_to not in ("all", "fuel", "shop"):
        _fail(f"{field}.applies_to", "应为 all / fuel / shop 之一")
    return EarnRule(kind=kind, label=_text(raw.get("label"), f"{field}.label", 64),
                    points=_int(raw.get("points"), f"{field}.points", minimum=1),
                    per=_int(raw.get(per_key), f"{field}.{per_key}", minimum=1), applies_to=applies_to,
                    grade=grade_code(_text(raw["grade"], f"{field}.grade", 8)) if kind == "per_litre" else None,
                    category=_text(raw["category"], f"{field}.category", 32) if kind == "per_category" else None)


def _multiplier(raw, field: str) -> Multiplier:
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in MULTIPLIER_KINDS:
        _fail(f"{field}.kind", f"应为 {' / '.join(MULTIPLIER_KINDS)} 之一（等级倍数写在 tiers 的 points_multiplier）")
    _mapping(raw, field, {"kind", "label", "factor"} | _MULTIPLIER[kind])
    values = {"kind": kind, "label": _text(raw.get("label"), f"{field}.label", 64),
              "factor": _factor(raw.get("factor"), f"{field}.factor")}
    if kind == "identity":
        identities = _list(raw.get("identities"), f"{field}.identities")
        for i, identity in enumerate(identities):
            if identity not in IDENTITIES:
                _fail(f"{field}.identities[{i}]", f"应为 {' / '.join(IDENTITIES)} 之一")
        values["identities"] = frozenset(identities)
    elif kind == "weekday":
        days = [_WEEKDAYS.get(d, d) for d in _list(raw.get("weekdays"), f"{field}.weekdays")]
        for i, day in enumerate(days):
            if isinstance(day, bool) or day not in range(1, 8):
                _fail(f"{field}.weekdays[{i}]", "应为 1（周一）至 7（周日）或 周一…周日")
        values.update(weekdays=frozenset(days), start_minute=_minute(raw.get("from", 0), f"{field}.from"),
                      end_minute=_minute(raw.get("to", 1440), f"{field}.to"))
        if values["start_minute"] >= values["end_minute"]:
            _fail(f"{field}.to", "应晚于 from（跨午夜的时段请拆成两条）")
    elif kind == "birthday":
        values["birthday_scope"] = raw.get("scope", "day")
        if values["birthday_scope"] not in ("day", "month"):
            _fail(f"{field}.scope", "应为 day（生日当天）或 month（生日当月）")
    else:
        for key in ("starts_at", "ends_at"):
            if key not in raw:
                _fail(f"{field}.{key}", "必填")
        values.update(starts_at=_moment(raw["starts_at"], f"{field}.starts_at"),
                      ends_at=_moment(raw["ends_at"], f"{field}.ends_at"))
        if values["starts_at"] >= values["ends_at"]:
            _fail(f"{field}.ends_at", "应晚于 starts_at")
        if raw.get("stations") is not None:
            values["stations"] = frozenset(_text(s, f"{field}.stations[{i}]", 16)
                                           for i, s in enumerate(_list(raw["stations"], f"{field}.stations")))
    return Multiplier(**values)


def _tiers(raw) -> list[TierSpec]:
    specs = []
    for i, item in enumerate(_list(raw, "tiers")):
        field = f"tiers[{i}]"
        _mapping(item, field, _TIER)
        trial = item.get("trial", False)
        if not isinstance(trial, bool):
            _fail(f"{field}.trial", "应为 true 或 false")
        specs.append(TierSpec(
            code=_text(item.get("code"), f"{field}.code", 16), name=_text(item.get("name"), f"{field}.name", 16),
            threshold=_int(item.get("threshold", 0), f"{field}.threshold"),
            per_litre_discount_fen=_int(item.get("per_litre_discount_fen", 0), f"{field}.per_litre_discount_fen"),
            points_multiplier=_factor(item.get("points_multiplier", 1), f"{field}.points_multiplier"),
            perks=_text(item.get("perks"), f"{field}.perks", 512, optional=True),
            upgrade_reward_points=_int(item.get("upgrade_reward_points", 0), f"{field}.upgrade_reward_points"),
            upgrade_reward_coupon=_text(item.get("upgrade_reward_coupon"), f"{field}.upgrade_reward_coupon", 32,
                                        optional=True), is_trial=trial))
        if [s.code for s in specs].count(specs[-1].code) > 1:
            _fail(f"{field}.code", "等级代码重复")
    ladder = [(i, s) for i, s in enumerate(specs) if not s.is_trial]
    if not ladder:
        _fail("tiers", "至少要有一个非体验等级")
    if ladder[0][1].threshold != 0:
        _fail(f"tiers[{ladder[0][0]}].threshold", "最低等级的门槛应为 0")
    for (_, lower), (i, higher) in zip(ladder, ladder[1:]):
        if higher.threshold <= lower.threshold:
            _fail(f"tiers[{i}].threshold", "应高于前一个等级（等级按从低到高排列）")
    return specs


def _optional_list(data: dict, key: str) -> list:
    # "earning: 5" is a mistake to name, not a crash.
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(key, "应为列表")
    return value


def parse_tiers(raw) -> list[TierSpec]:
    """A whole `tiers` section, validated (the console's tier form checks the ladder with it)."""
    return _tiers(raw)


def parse_document(data) -> Document:
    """The validated document; raises ValidationError naming the first bad field."""
    _mapping(data, "", _TOP)
    caps = _mapping(data.get("caps") or {}, "caps", {"per_sale", "per_day"})
    earning = [_earning(r, f"earning[{i}]") for i, r in enumerate(_optional_list(data, "earning"))]
    selectors = [(r.kind, r.applies_to if r.kind == "per_amount" else r.grade or r.category) for r in earning]
    for i, selector in enumerate(selectors):
        if selectors.index(selector) != i:
            _fail(f"earning[{i}]", "与前面的规则重复（同一油号、品类或范围只能有一条）")
    multipliers = tuple(_multiplier(m, f"multipliers[{i}]") for i, m in enumerate(_optional_list(data, "multipliers")))
    stacking = data.get("stacking", "multiply")
    if stacking not in STACKING:
        _fail("stacking", "应为 multiply（连乘）或 best_of（取最高）")
    ruleset = Ruleset(
        earning=tuple(earning), multipliers=multipliers, stacking=stacking,
        cap_per_sale=None if caps.get("per_sale") is None else _int(caps["per_sale"], "caps.per_sale"),
        cap_per_day=None if caps.get("per_day") is None else _int(caps["per_day"], "caps.per_day"),
        name=_text(data.get("name", "积分规则"), "name", 64))
    return Document(name=ruleset.name, ruleset=ruleset,
                    tiers=None if data.get("tiers") is None else _tiers(data["tiers"]))
