"""The active rule book (and the tiers) written back as a document of docs/rules.md's
format: what the console's YAML editor opens with, and what a change record keeps as
"before" and "after". `parse_document(rule_book())` reads back the same rules."""
from __future__ import annotations

from decimal import Decimal

import yaml
from sqlalchemy import select

from extensions import db
from loyalty.policy import BUSINESS_TZ
from loyalty.rules.engine import format_decimal
from models import RuleSet, Tier


def _number(value: Decimal):
    """A factor: 2 for 2.000, Decimal("1.5") for 1.500 (written to YAML as a plain 1.5)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral() else Decimal(format_decimal(value))


class _Dumper(yaml.SafeDumper):
    """YAML with Decimal written as a plain decimal number (our loader reads it back as Decimal)."""


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:float", format_decimal(value)))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _moment(value) -> str:
    from loyalty.books.ledger import as_utc
    return as_utc(value).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _earning(rule) -> dict:
    item = {"kind": rule.kind}
    if rule.kind == "per_litre":
        item.update(grade=rule.grade_code, points=rule.points, per_ml=rule.per)
    elif rule.kind == "per_amount":
        item.update(applies_to=rule.applies_to or "all", points=rule.points, per_fen=rule.per)
    else:
        item.update(category=rule.category, points=rule.points, per_fen=rule.per)
    item["label"] = rule.label
    return item


def _multiplier(m) -> dict:
    item = {"kind": m.kind}
    if m.kind == "identity":
        item["identities"] = list(m.identities or [])
    elif m.kind == "weekday":
        item.update(weekdays=list(m.weekdays or []), **{"from": _clock(m.start_minute), "to": _clock(m.end_minute)})
    elif m.kind == "birthday":
        item["scope"] = m.birthday_scope or "day"
    else:
        item.update(starts_at=_moment(m.starts_at), ends_at=_moment(m.ends_at))
        if m.stations is not None:
            item["stations"] = list(m.stations)
    item.update(factor=_number(m.factor), label=m.label)
    return item


def tiers() -> list[dict]:
    """The tiers, lowest first, as the document's `tiers` section."""
    out = []
    for t in db.session.scalars(select(Tier).order_by(Tier.rank)):
        item = {"code": t.code, "name": t.name, "threshold": t.threshold,
                "per_litre_discount_fen": t.per_litre_discount_fen,
                "points_multiplier": _number(t.points_multiplier)}
        if t.perks:
            item["perks"] = t.perks
        if t.upgrade_reward_points:
            item["upgrade_reward_points"] = t.upgrade_reward_points
        if t.upgrade_reward_coupon:
            item["upgrade_reward_coupon"] = t.upgrade_reward_coupon
        if t.is_trial:
            item["trial"] = True
        out.append(item)
    return out


def rule_book(*, with_tiers: bool = False) -> dict:
    """The active rule set as a document (empty earning rules when none is active)."""
    rule_set = db.session.scalars(select(RuleSet).where(RuleSet.active)).first()
    document: dict = {"name": rule_set.name if rule_set else "积分规则",
                      "stacking": rule_set.stacking if rule_set else "multiply"}
    caps = {k: v for k, v in (("per_sale", rule_set and rule_set.cap_per_sale),
                              ("per_day", rule_set and rule_set.cap_per_day)) if v is not None}
    if caps:
        document["caps"] = caps
    document["earning"] = [_earning(r) for r in rule_set.earning_rules] if rule_set else []
    document["multipliers"] = [_multiplier(m) for m in rule_set.multipliers] if rule_set else []
    if with_tiers:
        document["tiers"] = tiers()
    return document


def as_yaml(document: dict) -> str:
    """The document as YAML an operator edits: keys in the written order, Chinese as is."""
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)
