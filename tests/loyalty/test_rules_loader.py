"""Loading the rule book from YAML or JSON: it replaces the active ruleset (and the
tiers) in one go, and a bad file names its bad field and changes nothing."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.rules import engine as rules
from loyalty.errors import ValidationError
from loyalty.policy import BUSINESS_TZ
from loyalty.rules.engine import FuelLine, MemberFacts, SaleFacts, current_ruleset, evaluate
from loyalty.rules.loader import load_rules, load_rules_file, read_active_ruleset
from models import CouponTemplate, EarningRule, Member, RuleSet, Tier

DEMO = Path(__file__).resolve().parents[2] / "loyalty" / "data" / "demo-rules.yaml"
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=BUSINESS_TZ)
SMALL = {
    "name": "小规则",
    "earning": [{"kind": "per_litre", "grade": "92", "points": 2, "per_ml": 1000, "label": "92# 每升2分"}],
    "tiers": [{"code": "normal", "name": "普通"}, {"code": "vip", "name": "贵宾", "threshold": 100,
                                                  "points_multiplier": "3"}],
}


def load_demo():
    """The demo rule book; its 金卡 upgrade coupon template must exist first, as in the demo seed."""
    if db.session.scalar(select(CouponTemplate.id).where(CouponTemplate.code == "WASH_FREE")) is None:
        db.session.add(CouponTemplate(code="WASH_FREE", name="免费洗车", kind="free_item", item_category="car_wash",
                                      valid_days=60))
        db.session.commit()
    return load_rules_file(DEMO)


def forty_litres(at=TUESDAY) -> SaleFacts:
    return SaleFacts(at=at, station_code="S001", lines=[FuelLine("92", 40000, 30000)])


def snapshot() -> tuple:
    """What a failed load must leave untouched."""
    active = db.session.scalars(select(RuleSet.id).where(RuleSet.active)).all()
    tiers = db.session.execute(select(Tier.code, Tier.rank, Tier.threshold).order_by(Tier.rank)).all()
    return active, tiers, db.session.scalar(select(func.count()).select_from(EarningRule))


def test_the_demo_rule_book_loads_and_prices_a_gold_birthday_on_member_day(any_app):
    summary = load_demo()
    assert (summary.earning_rules, summary.multipliers, summary.tiers) == (5, 2, 4)
    assert "演示规则" in str(summary)
    assert [t.name for t in db.session.scalars(select(Tier).order_by(Tier.rank))] == ["普通", "银卡", "金卡", "钻石"]
    gold = db.session.scalars(select(Tier).where(Tier.code == "gold")).one()
    assert (gold.threshold, gold.per_litre_discount_fen, gold.points_multiplier) == (3000000, 10, Decimal("1.5"))
    result = evaluate(forty_litres(), MemberFacts("gold", "private", date(1990, 11, 24)))
    assert result.total == 240
    assert [label for label, _ in result.lines] == ["92# 每升1分", "金卡 1.5倍", "周二会员日 2倍", "生日 2倍"]
    ruleset = current_ruleset()
    assert (ruleset.cap_per_sale, ruleset.cap_per_day, ruleset.stacking) == (500, 1000, "multiply")


def test_json_works_the_same_and_its_decimals_never_become_floats(any_app, tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({**SMALL, "multipliers": [
        {"kind": "identity", "identities": ["taxi"], "factor": 1.25, "label": "出租车 1.25倍"}]}), encoding="utf-8")
    load_rules_file(path)
    factor = read_active_ruleset().multipliers[-1].factor
    assert factor == Decimal("1.25") and isinstance(factor, Decimal)
    assert evaluate(forty_litres(), MemberFacts("normal", "taxi")).total == 100  # 80 x 1.25


def test_a_new_load_replaces_the_whole_ruleset_and_keeps_the_old_one_inactive(any_app):
    load_demo()
    assert evaluate(forty_litres(), MemberFacts("normal")).total == 80  # Tuesday: 40 x 2
    load_rules(SMALL)
    assert evaluate(forty_litres(), MemberFacts("normal")).total == 80  # 40 x 2 points, no member day
    assert evaluate(forty_litres(), MemberFacts("vip")).total == 240
    sets = db.session.execute(select(RuleSet.name, RuleSet.active).order_by(RuleSet.id)).all()
    assert sets == [("演示规则", False), ("小规则", True)]
    assert [t.code for t in db.session.scalars(select(Tier).order_by(Tier.rank))] == ["normal", "vip"]


def test_the_ruleset_is_read_once_per_request_and_again_after_a_load(any_app):
    load_rules(SMALL)
    first = current_ruleset()
    assert current_ruleset() is first
    load_rules({**SMALL, "name": "第二版"})
    assert current_ruleset().name == "第二版"


def test_with_no_ruleset_loaded_nothing_earns_points(any_app):
    assert evaluate(forty_litres(), MemberFacts()).total == 0


def test_tiers_may_change_places_and_a_tier_nobody_uses_may_go(any_app):
    load_demo()
    load_rules({"tiers": [{"code": "normal", "name": "普通"}, {"code": "gold", "name": "金卡", "threshold": 10},
                          {"code": "silver", "name": "银卡", "threshold": 20}]})
    assert [(t.code, t.rank) for t in db.session.scalars(select(Tier).order_by(Tier.rank))] == [
        ("normal", 1), ("gold", 2), ("silver", 3)]


def test_a_tier_a_member_holds_cannot_be_left_out(any_app):
    load_demo()
    gold = db.session.scalars(select(Tier).where(Tier.code == "gold")).one()
    db.session.add(Member(phone="13800000001", tier_id=gold.id))
    db.session.commit()
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        load_rules(SMALL)
    assert caught.value.details["field"] == "tiers" and "gold" in caught.value.message
    assert snapshot() == before


BAD = [
    ({"earning": [{"kind": "per_litre", "grade": "92", "points": 1, "per_litres": 1000, "label": "x"}]},
     "earning[0].per_litres"),
    ({"earning": [{"kind": "per_litre", "grade": "92", "points": 1, "label": "x"}]}, "earning[0].per_ml"),
    ({"earning": [{"kind": "per_gallon", "points": 1}]}, "earning[0].kind"),
    ({"earning": [{"kind": "per_amount", "points": 0, "per_fen": 100, "label": "x"}]}, "earning[0].points"),
    ({"earning": [{"kind": "per_litre", "grade": "92", "points": 1, "per_ml": 1000, "label": "a"},
                  {"kind": "per_litre", "grade": "92#", "points": 2, "per_ml": 1000, "label": "b"}]}, "earning[1]"),
    ({"multipliers": [{"kind": "weekday", "weekdays": [8], "factor": 2, "label": "x"}]}, "multipliers[0].weekdays[0]"),
    ({"multipliers": [{"kind": "weekday", "weekdays": [2], "from": "09:00", "to": "06:00", "factor": 2,
                       "label": "x"}]}, "multipliers[0].to"),
    # "²".isdigit() is True and int("²") raises: a time of day is ASCII digits.
    ({"multipliers": [{"kind": "weekday", "weekdays": [2], "from": "²:00", "to": "09:00", "factor": 2,
                       "label": "x"}]}, "multipliers[0].from"),
    ({"multipliers": [{"kind": "birthday", "factor": 1.5, "label": "x"}]}, "multipliers[0].factor"),
    ({"multipliers": [{"kind": "birthday", "factor": "abc", "label": "x"}]}, "multipliers[0].factor"),
    ({"multipliers": [{"kind": "birthday", "factor": 2}]}, "multipliers[0].label"),
    ({"multipliers": [{"kind": "tier", "factor": 2, "label": "x"}]}, "multipliers[0].kind"),
    ({"multipliers": [{"kind": "campaign", "starts_at": "2026-12-08", "ends_at": "2026-12-01", "factor": 2,
                       "label": "x"}]}, "multipliers[0].ends_at"),
    ({"multipliers": [{"kind": "identity", "identities": ["pilot"], "factor": 2, "label": "x"}]},
     "multipliers[0].identities[0]"),
    ({"stacking": "sum"}, "stacking"),
    ({"caps": {"per_sale": -1}}, "caps.per_sale"),
    ({"tiers": [{"code": "normal", "name": "普通"}, {"code": "gold", "name": "金卡", "threshold": 0}]},
     "tiers[1].threshold"),
    ({"tiers": [{"code": "normal", "name": "普通", "threshold": 5}]}, "tiers[0].threshold"),
    ({"tiers": [{"code": "normal", "name": "普通"}, {"code": "normal", "name": "又一个", "threshold": 9}]},
     "tiers[1].code"),
    ({"tiers": [{"code": "normal", "name": "普通", "upgrade_reward_coupon": "NO_SUCH"}]},
     "tiers[0].upgrade_reward_coupon"),
    ({"rules": []}, "rules"),
]


@pytest.mark.parametrize("document, field", BAD, ids=[field for _, field in BAD])
def test_a_bad_document_names_its_field_and_changes_nothing(any_app, document, field):
    load_demo()
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        load_rules(document)
    assert caught.value.details["field"] == field
    assert field in caught.value.message
    assert snapshot() == before


def test_a_broken_file_is_refused_with_nothing_changed(any_app, tmp_path):
    load_demo()
    before = snapshot()
    broken = tmp_path / "rules.yaml"
    broken.write_text("earning:\n  - kind: per_litre\n   grade: 92\n", encoding="utf-8")
    for path in (broken, tmp_path / "rules.txt", tmp_path / "missing.yaml"):
        with pytest.raises(ValidationError) as caught:
            load_rules_file(path)
        assert caught.value.details["field"] == "file"
    bad_field = tmp_path / "bad.yaml"
    bad_field.write_text("stacking: multiply\ncaps:\n  per_day: lots\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_rules_file(bad_field)
    assert caught.value.details["field"] == "caps.per_day"
    assert snapshot() == before


def test_unquoted_yaml_times_read_as_the_time_of_day(any_app, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("earning:\n  - {kind: per_litre, grade: 92, points: 1, per_ml: 1000, label: 92#}\n"
                    "multipliers:\n  - {kind: weekday, weekdays: [2], from: 06:00, to: 09:00, factor: 2, label: 早高峰}\n",
                    encoding="utf-8")
    load_rules_file(path)
    multiplier = rules.current_ruleset().multipliers[-1]
    assert (multiplier.start_minute, multiplier.end_minute) == (360, 540)
    assert evaluate(forty_litres(at=TUESDAY.replace(hour=7)), MemberFacts()).total == 80
