"""Loading the rule book (earning rules, multipliers, caps and optionally the tiers) from a
YAML or JSON file or a dict, and reading the active one back (format: docs/rules.md).

A load validates everything before it writes anything, then writes a new RuleSet, makes
it the active one and replaces the tiers in one transaction: a bad file changes nothing.
Numbers never pass through float: YAML and JSON decimals are parsed as Decimal.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import or_, select, update

from extensions import db
from loyalty.errors import ValidationError
from loyalty.rules.engine import EarnRule, Multiplier, Ruleset, format_decimal
from loyalty.rules.schema import TierSpec, parse_document
from models import CouponTemplate, EarningRule, Member, PointsMultiplier, RuleSet, Tier, TierChange, TierReward


@dataclass(frozen=True)
class LoadSummary:
    rule_set_id: int
    name: str
    earning_rules: int
    multipliers: int
    tiers: int | None  # None: the file had no tiers section, the tiers were left alone

    def __str__(self) -> str:
        tiers = "等级未改" if self.tiers is None else f"等级 {self.tiers} 个"
        return (f"已启用规则集 #{self.rule_set_id} {self.name}：积分规则 {self.earning_rules} 条，"
                f"倍数 {self.multipliers} 条，{tiers}")


class _DecimalLoader(yaml.SafeLoader):
    """YAML with decimals as Decimal, never float."""


def _yaml_decimal(loader, node):
    raw = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(raw)
    except ArithmeticError:
        raise ValidationError(f"规则文件有误：无法识别的数字 {raw}", field=f"line {node.start_mark.line + 1}") from None


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _yaml_decimal)


def parse_yaml(text: str) -> dict:
    """A rule book typed as YAML (the console's editor) as a dict, decimals as Decimal;
    ValidationError when it is not YAML or not a mapping."""
    try:
        data = yaml.load(text, Loader=_DecimalLoader)
    except yaml.YAMLError as exc:
        raise ValidationError(f"规则文件格式错误：{exc}", field="yaml") from None
    if not isinstance(data, dict):
        raise ValidationError("规则文件应为键值表（name、earning、multipliers ...）", field="yaml")
    return data


def load_rules_file(path: str | Path, *, commit: bool = True) -> LoadSummary:
    """Load a rules file (.yaml, .yml or .json) with load_rules; the file's path is recorded."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"无法读取规则文件 {path}：{exc.strerror}", field="file") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.load(text, Loader=_DecimalLoader)
        elif path.suffix.lower() == ".json":
            data = json.loads(text, parse_float=Decimal)
        else:
            raise ValidationError("规则文件须为 .yaml、.yml 或 .json", field="file")
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ValidationError(f"规则文件格式错误：{exc}", field="file") from None
    return load_rules(data, source=str(path)[-255:], commit=commit)


def load_rules(data: dict, *, source: str | None = None, commit: bool = True) -> LoadSummary:
    """Replace the active ruleset (and the tiers, when `data` has a `tiers` section) with
    `data`, atomically. Raises ValidationError naming the bad field (`details["field"]`,
    e.g. "earning[2].per_ml"); then nothing has changed. Commits unless commit=False
    (then the caller's transaction holds the change, and rolls it back on error)."""
    document = parse_document(data)
    try:
        if document.tiers is not None:
            _check_tiers(document.tiers)
        db.session.execute(update(RuleSet).where(RuleSet.active).values(active=False))
        rule_set = RuleSet(name=document.name, stacking=document.ruleset.stacking, active=True,
                           cap_per_sale=document.ruleset.cap_per_sale,
                           cap_per_day=document.ruleset.cap_per_day, source=source)
        db.session.add(rule_set)
        db.session.flush()
        db.session.add_all(_earning_row(rule_set.id, i, r) for i, r in enumerate(document.ruleset.earning))
        db.session.add_all(_multiplier_row(rule_set.id, i, m) for i, m in enumerate(document.ruleset.multipliers))
        if document.tiers is not None:
            _replace_tiers(document.tiers)
        db.session.flush()
        if commit:
            db.session.commit()
    except Exception:  # nothing half-loaded is left behind; the error itself goes on up
        if commit:
            db.session.rollback()
        raise
    forget_cached_ruleset()
    return LoadSummary(rule_set.id, rule_set.name, len(document.ruleset.earning),
                       len(document.ruleset.multipliers), None if document.tiers is None else len(document.tiers))


def forget_cached_ruleset() -> None:
    """Drop this request's cached ruleset (see loyalty.rules.engine.current_ruleset)."""
    from flask import g
    g.pop("youka_ruleset", None)


def read_active_ruleset() -> Ruleset:
    """The active ruleset as plain values; tier multipliers (from the tiers) come first.
    No active ruleset: no earning rules, so no points."""
    rule_set = db.session.scalars(select(RuleSet).where(RuleSet.active)).first()
    multipliers = tier_multipliers(db.session.scalars(select(Tier).order_by(Tier.rank)).all())
    if rule_set is None:
        return Ruleset(multipliers=tuple(multipliers))
    earning = tuple(EarnRule(kind=r.kind, label=r.label, points=r.points, per=r.per,
                             applies_to=r.applies_to or "all", grade=r.grade_code, category=r.category)
                    for r in rule_set.earning_rules)
    multipliers += [Multiplier(
        kind=m.kind, label=m.label, factor=m.factor, identities=frozenset(m.identities or ()),
        weekdays=frozenset(m.weekdays or ()), start_minute=m.start_minute, end_minute=m.end_minute,
        birthday_scope=m.birthday_scope or "day", starts_at=_aware(m.starts_at), ends_at=_aware(m.ends_at),
        stations=None if m.stations is None else frozenset(m.stations)) for m in rule_set.multipliers]
    return Ruleset(earning=earning, multipliers=tuple(multipliers), stacking=rule_set.stacking,
                   cap_per_sale=rule_set.cap_per_sale, cap_per_day=rule_set.cap_per_day, name=rule_set.name)


def tier_multipliers(tiers) -> list[Multiplier]:
    """The tiers' own points multipliers (Tier rows or TierSpecs), lowest tier first."""
    return [Multiplier(kind="tier", label=f"{t.name} {format_decimal(t.points_multiplier)}倍",
                       factor=t.points_multiplier, tiers=frozenset({t.code}))
            for t in tiers if t.points_multiplier != 1]


def _aware(value):
    # SQLite hands back naive datetimes; they were stored as UTC.
    from datetime import timezone
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def _earning_row(rule_set_id: int, position: int, rule: EarnRule) -> EarningRule:
    return EarningRule(rule_set_id=rule_set_id, position=position, kind=rule.kind, label=rule.label,
                       points=rule.points, per=rule.per,
                       applies_to=rule.applies_to if rule.kind == "per_amount" else None,
                       grade_code=rule.grade, category=rule.category)


def _multiplier_row(rule_set_id: int, position: int, m: Multiplier) -> PointsMultiplier:
    return PointsMultiplier(
        rule_set_id=rule_set_id, position=position, kind=m.kind, label=m.label, factor=m.factor,
        identities=sorted(m.identities) or None, weekdays=sorted(m.weekdays) or None,
        start_minute=m.start_minute, end_minute=m.end_minute,
        birthday_scope=m.birthday_scope if m.kind == "birthday" else None,
        starts_at=m.starts_at, ends_at=m.ends_at, stations=None if m.stations is None else sorted(m.stations))


def _check_tiers(specs: list[TierSpec]) -> None:
    """Reward coupons must exist (an upgrade must not fail on a sale for want of one); a tier
    left out of the file is deleted, unless a member or the history still uses it."""
    for i, spec in enumerate(specs):
        if spec.upgrade_reward_coupon is not None and db.session.scalar(select(CouponTemplate.id).where(
                CouponTemplate.code == spec.upgrade_reward_coupon)) is None:
            raise ValidationError(f"规则文件有误：tiers[{i}].upgrade_reward_coupon：优惠券模板 "
                                  f"{spec.upgrade_reward_coupon} 不存在", field=f"tiers[{i}].upgrade_reward_coupon")
    keep = {s.code for s in specs}
    for tier in db.session.scalars(select(Tier).where(Tier.code.not_in(keep))):
        used = (db.session.scalar(select(Member.id).where(Member.tier_id == tier.id).limit(1))
                or db.session.scalar(select(TierChange.id).where(
                    or_(TierChange.from_tier_id == tier.id, TierChange.to_tier_id == tier.id)).limit(1))
                or db.session.scalar(select(TierReward.id).where(TierReward.tier_id == tier.id).limit(1)))
        if used:
            raise ValidationError(f"规则文件有误：等级 {tier.code} 已有会员使用，不能删除（可改名或调整门槛）",
                                  field="tiers")


def _replace_tiers(specs: list[TierSpec]) -> None:
    existing = {t.code: t for t in db.session.scalars(select(Tier))}
    for code, tier in list(existing.items()):
        if code not in {s.code for s in specs}:
            db.session.delete(existing.pop(code))
    # Park the ranks out of the way first: ranks are unique, and tiers may swap places.
    for tier in existing.values():
        tier.rank = -tier.id
    db.session.flush()
    for rank, spec in enumerate(specs, start=1):
        tier = existing.get(spec.code) or Tier(code=spec.code)
        tier.rank = rank
        for name, value in spec.fields().items():
            setattr(tier, name, value)
        db.session.add(tier)
    db.session.flush()
