"""Every configuration change writes one append-only change record with the object before
and after as JSON, readable per object and as one timeline; a refused change writes
nothing. The rule book round-trips through its YAML, and the preview prices a typed sale
with a draft that is not saved."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from extensions import db
from loyalty import changes, config_changes
from loyalty.errors import ValidationError
from loyalty.rules import export
from loyalty.rules.loader import parse_yaml, read_active_ruleset
from loyalty.rules.preview import preview
from loyalty.rules.schema import parse_document
from loyalty.till.pricing import FuelLine, ShopLine
from loyalty.till.sales import station_by_code
from models import ChangeRecord, CouponTemplate, Member, RewardItem, Staff, Tier, TopupBonusRule
from tests.admin.fixtures import console, operator, staff_id  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401


def hq() -> Staff:
    return db.session.get(Staff, staff_id("hq"))


def only_record(kind: str, key: str):
    [record] = changes.for_object(kind, key)
    return record


def test_the_rule_book_round_trips_and_an_edit_records_before_and_after(console):
    yaml_text = export.as_yaml(export.rule_book())
    assert parse_document(parse_yaml(yaml_text)).ruleset.earning == read_active_ruleset().earning
    assert "factor: 2" in yaml_text and "per_ml: 1000" in yaml_text
    edited = yaml_text.replace("grade: '92', points: 1,", "grade: '92', points: 2,")
    assert edited != yaml_text
    config_changes.save_rule_book(edited, staff=hq(), reason="92# 双倍积分活动")
    record = only_record("rule_book", "active")
    assert (record.staff, record.action, record.reason) == ("hq", "update", "92# 双倍积分活动")
    grade92 = lambda doc: next(r for r in doc["earning"] if r.get("grade") == "92")  # noqa: E731
    assert grade92(record.before)["points"] == 1 and grade92(record.after)["points"] == 2
    assert [t["code"] for t in record.after["tiers"]] == ["normal", "silver", "gold", "diamond"]
    assert next(r for r in read_active_ruleset().earning if r.grade == "92").points == 2


def test_a_bad_rule_book_changes_nothing_and_writes_no_record(console):
    before = export.rule_book(with_tiers=True)
    for bad, field in (("earning:\n  - {kind: per_litre, grade: '92', points: 0, per_ml: 1000, label: x}\n",
                        "earning[0].points"), ("name: [unclosed", "yaml"), ("- a list", "yaml")):
        with pytest.raises(ValidationError) as caught:
            config_changes.save_rule_book(bad, staff=hq(), reason="试试")
        assert caught.value.details["field"] == field
    with pytest.raises(ValidationError):
        config_changes.save_rule_book(export.as_yaml(before), staff=hq(), reason=" ")
    assert db.session.query(ChangeRecord).count() == 0 and export.rule_book(with_tiers=True) == before


def test_the_preview_prices_a_typed_sale_line_by_line_with_the_draft(console, pinned_clock):
    east, station = db.session.get(Member, console["east"]), station_by_code("S001")
    draft = export.as_yaml(export.rule_book()).replace("grade: '92', points: 1,", "grade: '92', points: 2,")
    # 40 L of 92# at 2 a litre = 80; 100 yuan of drinks at 10 per 100 yuan = 10. Not member day.
    result = preview(draft, east, station, [FuelLine("92", 40000, 765), ShopLine("drinks", 10000)], at=pinned_clock)
    assert result.total == 90
    assert [tuple(line) for line in result.lines] == [("92# 每升1分", 80), ("便利店 每100元10分", 10)]
    # Nothing was saved: the active rules still give 1 a litre.
    assert next(r for r in read_active_ruleset().earning if r.grade == "92").points == 1
    # On member day (Tuesday, 2x) the draft's multiplier line follows.
    tuesday = pinned_clock + timedelta(days=(1 - pinned_clock.weekday()) % 7)
    result = preview(draft, east, station, [FuelLine("92", 40000, 765)], at=tuesday.replace(hour=4))
    assert (result.total, result.lines[-1].label) == (160, "周二会员日 2倍")


def test_the_preview_page_shows_the_points_line_by_line(operator, console):
    me = operator("hq")
    draft = me.get("/admin/rules").get_data(as_text=True)
    assert "per_ml: 1000" in draft
    yaml_text = export.as_yaml(export.rule_book())
    html = me.post("/admin/rules/preview", {"yaml": yaml_text, "member": "1234", "station": "S001", "grade": "92",
                                            "litres": "40", "category": "drinks", "shop_amount": ""}
                   ).get_data(as_text=True)
    assert '<b class="total">40</b>' in html and "92# 每升1分" in html
    resp = me.post("/admin/rules/preview", {"yaml": "earning: 5", "member": "1234", "station": "S001",
                                            "grade": "92", "litres": "40"})
    assert resp.status_code == 400 and "earning" in resp.get_data(as_text=True)


def test_a_tier_edit_records_the_threshold_before_and_after_and_keeps_the_ladder(console):
    form = {"name": "银卡", "threshold": "1200000", "per_litre_discount_fen": "5", "points_multiplier": "1.2",
            "perks": "每升直降0.05元", "upgrade_reward_points": "100", "upgrade_reward_coupon": ""}
    config_changes.save_tier("silver", form, staff=hq(), reason="提高银卡门槛")
    record = only_record("tier", "silver")
    assert (record.before["threshold"], record.after["threshold"]) == (1000000, 1200000)
    assert (record.before["points_multiplier"], record.after["points_multiplier"]) == ("1", "1.2")
    assert db.session.scalars(select(Tier.threshold).where(Tier.code == "silver")).one() == 1200000
    # Above gold's threshold (3 000 000) the ladder breaks: refused, no record.
    with pytest.raises(ValidationError):
        config_changes.save_tier("silver", dict(form, threshold="3000000"), staff=hq(), reason="x")
    with pytest.raises(ValidationError):
        config_changes.save_tier("silver", dict(form, upgrade_reward_coupon="NO_SUCH"), staff=hq(), reason="x")
    assert len(changes.for_object("tier", "silver")) == 1


COUPON = {"name": "满300减30", "kind": "amount_off", "amount_fen": "3000", "min_spend_fen": "30000",
          "valid_days": "30", "stackable": "1", "active": "1"}


def test_a_coupon_template_is_created_then_edited_each_on_record(console):
    config_changes.save_coupon_template("FULL300_30", COUPON, staff=hq(), reason="双十二活动")
    config_changes.save_coupon_template("FULL300_30", dict(COUPON, amount_fen="3500"), staff=hq(), reason="加码")
    edit, create = changes.for_object("coupon_template", "FULL300_30")
    assert (create.action, create.before, create.after["amount_fen"]) == ("create", None, 3000)
    assert (edit.action, edit.before["amount_fen"], edit.after["amount_fen"]) == ("update", 3000, 3500)
    assert edit.after["stackable"] is True and edit.after["percent_bp"] is None
    # An amount_off without its amount breaks the template's own rule: refused, nothing written.
    with pytest.raises(ValidationError) as caught:
        config_changes.save_coupon_template("BROKEN", dict(COUPON, amount_fen=""), staff=hq(), reason="x")
    assert "amount_set" in caught.value.message
    assert db.session.scalars(select(CouponTemplate).where(CouponTemplate.code == "BROKEN")).first() is None


def test_a_reward_edit_records_stock_limit_and_window(console):
    form = {"name": "矿泉水一箱", "kind": "gift", "points_price": "800", "stock": "150", "per_member_limit": "1",
            "starts_at": "2026-12-01 08:00", "ends_at": "2027-01-01 00:00", "sort_order": "", "active": "1"}
    config_changes.save_reward("WATER", form, staff=hq(), reason="库存盘点")
    record = only_record("reward", "WATER")
    assert (record.before["stock"], record.after["stock"]) == (200, 150)
    assert (record.before["per_member_limit"], record.after["per_member_limit"]) == (2, 1)
    # 08:00 in Shanghai is 00:00 UTC.
    assert record.before["starts_at"] is None and record.after["starts_at"] == "2026-12-01T00:00:00+00:00"
    with pytest.raises(ValidationError):  # the window ends before it starts
        config_changes.save_reward("WATER", dict(form, ends_at="2026-11-01 00:00"), staff=hq(), reason="x")
    assert db.session.scalars(select(RewardItem.stock).where(RewardItem.code == "WATER")).one() == 150


def test_a_topup_bonus_rule_edit_and_a_new_one_are_on_record(console):
    rule = db.session.scalars(select(TopupBonusRule).where(TopupBonusRule.min_topup_fen == 100000)).one()
    form = {"label": "充1000送60", "min_topup_fen": "100000", "bonus_fen": "6000", "active": "1"}
    config_changes.save_topup_bonus_rule(rule.id, form, staff=hq(), reason="年终加送")
    new = config_changes.save_topup_bonus_rule(None, {"label": "充2000送150", "min_topup_fen": "200000",
                                                      "bonus_fen": "15000"}, staff=hq(), reason="新档位")
    record = only_record("topup_bonus_rule", str(rule.id))
    assert (record.before["bonus_fen"], record.after["bonus_fen"]) == (5000, 6000)
    assert only_record("topup_bonus_rule", str(new.id)).after["active"] is False  # the box was left unticked
    with pytest.raises(ValidationError):
        config_changes.save_topup_bonus_rule(rule.id, dict(form, bonus_fen="0"), staff=hq(), reason="x")


def test_the_timeline_lists_every_kind_newest_first_and_the_records_cannot_be_changed(operator, console):
    config_changes.save_reward("DONATE", {"name": "爱心捐赠 10 分", "kind": "donation", "points_price": "20",
                                          "active": "1"}, staff=hq(), reason="调价")
    config_changes.save_coupon_template("FULL300_30", COUPON, staff=hq(), reason="新券")
    assert [(c.kind, c.object_key) for c in changes.timeline()] == [("coupon_template", "FULL300_30"),
                                                                    ("reward", "DONATE")]
    assert [c.kind for c in changes.timeline(kind="reward")] == ["reward"]
    html = operator("hq").get("/admin/changes").get_data(as_text=True)
    assert html.index("FULL300_30") < html.index("DONATE") and "调价" in html
    for sql in ("UPDATE change_records SET reason = 'x'", "DELETE FROM change_records"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(sql))
        db.session.rollback()
    assert db.session.query(ChangeRecord).count() == 2


def test_the_config_pages_save_through_the_same_functions(operator, console):
    me = operator("hq")
    resp = me.post("/admin/config/coupon-templates", dict(COUPON, code="PAGE_10", reason="页面新建"))
    assert resp.status_code == 302
    assert only_record("coupon_template", "PAGE_10").after["name"] == "满300减30"
    resp = me.post("/admin/config/coupon-templates", dict(COUPON, key="PAGE_10", amount_fen="x", reason="r"))
    assert resp.status_code == 400 and "应为整数" in resp.get_data(as_text=True)
    resp = me.post("/admin/tiers/gold", {"name": "金卡", "threshold": "3000000", "per_litre_discount_fen": "12",
                                         "points_multiplier": "1.5", "upgrade_reward_points": "300",
                                         "upgrade_reward_coupon": "WASH_FREE", "reason": "降价"})
    assert resp.status_code == 302 and only_record("tier", "gold").after["per_litre_discount_fen"] == 12
