"""Resolve, quote and commit over the station API, as a POS drives it."""
from datetime import datetime, timedelta, timezone

import pytest
from api.pos_helpers import error_code, fuel
from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import coupons
from loyalty.till import member_codes
from loyalty.people import members
from models import LedgerEntry, Sale

# The station API's clock, pinned (web/api/clock.py) where points depend on the weekday:
# a Wednesday, 10:00 in Shanghai, so no member day (Tuesday) and no birthday.
WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def balance(member, kind="stored_value") -> int:
    db.session.expire_all()
    return members.account_of(member, kind).balance


def test_resolve_gives_the_cashier_a_masked_summary(pos, member, code):
    coupon = coupons.issue(member, "FULL200_20", key="c1")
    db.session.commit()
    response = pos.post("/member-codes/resolve", {"code": code()})
    assert response.status_code == 200
    summary = response.get_json()["member"]
    assert summary["id"] == member.id and summary["phone_masked"] == "139****0001"
    assert summary["balance_fen"] == 105000 and summary["points"] == 0
    assert summary["tier"]["code"] and summary["tier"]["name"]
    assert [c["id"] for c in summary["coupons"]] == [coupon.id] and summary["coupons"][0]["name"] == "满200减20"
    assert "13900000001" not in response.get_data(as_text=True)


@pytest.mark.parametrize("make, expected, status", [
    (lambda m: member_codes.issue(m, now=datetime.now(timezone.utc) - timedelta(seconds=61)).code,
     "code_expired", 410),
    (lambda m: "661234567890123456", "code_invalid", 422),
    (lambda m: "12345", "code_invalid", 422),
])
def test_resolve_errors(pos, member, make, expected, status):
    response = pos.post("/member-codes/resolve", {"code": make(member)})
    assert response.status_code == status and error_code(response) == expected


def test_quote_prices_a_gold_members_fuel_and_drink_and_uses_nothing_up(pos, world, code):
    world.config["PINNED_NOW"] = WEDNESDAY
    gold = members.create_member("13900000009", tier_code="gold", consent=True)
    db.session.commit()
    the_code = member_codes.issue(gold, now=WEDNESDAY).code
    lines = [fuel("40.00"), {"kind": "shop", "category": "drinks", "amount_fen": 500, "sku": "COLA"}]
    response = pos.post("/sales/quote", {"member_code": the_code, "lines": lines})
    assert response.status_code == 200, response.get_json()
    quote = response.get_json()["quote"]
    # 40 L x 7.65 = 306.00 yuan, and a 5 yuan drink.
    assert quote["gross_fen"] == 30600 + 500
    # 金卡 0.10 yuan off each litre: 40 x 10 = 400 fen.
    assert quote["discounts"] == [{"label": "金卡直降 0.10元/升", "amount_fen": 400}]
    assert quote["payable_fen"] == 31100 - 400
    # 92#: 1 point a litre = 40; the drink: 10 points a 100 yuan x 5 yuan = 0.5;
    # x 1.5 for gold = 60.75, floored once = 60: the 40, then the gold multiplier's 20.
    assert quote["points"] == {"total": 60, "breakdown": [{"label": "92# 每升1分", "points": 40},
                                                          {"label": "金卡 1.5倍", "points": 20}]}
    assert response.get_json()["member"]["id"] == gold.id
    # Quoting twice with the same code: it is still live.
    assert pos.post("/sales/quote", {"member_code": the_code, "lines": lines}).status_code == 200
    assert member_codes.resolve(the_code, WEDNESDAY).id == gold.id
    assert count(Sale) == 0


def test_a_sale_uses_the_code_and_earns_points(pos, world, member, code):
    world.config["PINNED_NOW"] = WEDNESDAY
    the_code = code(now=WEDNESDAY)
    response = pos.post("/sales", {"pos_txn_no": "T1", "member_code": the_code, "lines": [fuel("40.00")],
                                   "pay_with": "balance", "station_nozzle": "3"})
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()["sale"]
    assert sale["pos_txn_no"] == "T1" and sale["station_code"] == "S001" and sale["station_nozzle"] == "3"
    # A normal member on a Wednesday: 40 L x 7.65 = 306.00 yuan, no discount, 1 point a litre.
    assert (sale["gross_fen"], sale["discounts"], sale["payable_fen"]) == (30600, [], 30600)
    assert sale["points_earned"] == 40 and sale["member"]["points"] == 40
    assert sale["paid_from_balance_fen"] == 30600
    assert sale["balance_fen"] == 105000 - 30600 == balance(member)
    again = pos.post("/sales", {"pos_txn_no": "T2", "member_code": the_code, "lines": [fuel("40.00")]})
    assert again.status_code == 410 and error_code(again) == "code_used"


def test_a_retry_returns_the_first_sale_even_though_its_code_is_used(pos, member, code):
    body = {"pos_txn_no": "T1", "member_code": code(), "lines": [fuel("40.00")]}
    first = pos.post("/sales", body)
    retry = pos.post("/sales", body)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json()["sale"]["id"] == first.get_json()["sale"]["id"]
    # The POS scanned a fresh code of the same member for its retry: the same sale.
    assert pos.post("/sales", {**body, "member_code": code()}).status_code == 200
    conflict = pos.post("/sales", {**body, "lines": [fuel("41.00")]})
    assert conflict.status_code == 409 and error_code(conflict) == "duplicate_conflict"
    other = members.create_member("13900000002", consent=True)
    db.session.commit()
    someone_else = pos.post("/sales", {**body, "member_code": member_codes.issue(other).code})
    assert error_code(someone_else) == "duplicate_conflict"
    assert count(Sale) == 1 and balance(member, "points") == first.get_json()["sale"]["points_earned"]


def test_a_sale_without_a_member(pos):
    response = pos.post("/sales", {"pos_txn_no": "T1", "lines": [fuel("10.00", "95", 818)]})
    assert response.status_code == 201
    sale = response.get_json()["sale"]
    assert sale["member"] is None and sale["balance_fen"] is None and sale["points_earned"] == 0
    assert sale["payable_fen"] == 8180


def _nothing_written(member, the_code, before_entries):
    assert count(Sale) == 0 and count(LedgerEntry) == before_entries
    assert balance(member) == 105000
    assert member_codes.resolve(the_code).id == member.id  # the code is not burnt


def test_insufficient_balance_writes_nothing_and_keeps_the_code(pos, member, code):
    the_code, entries = code(), count(LedgerEntry)
    body = {"pos_txn_no": "T1", "member_code": the_code, "lines": [fuel("200.00")], "pay_with": "balance"}
    quote = pos.post("/sales/quote", {k: v for k, v in body.items() if k != "pos_txn_no"})
    assert quote.status_code == 402 and error_code(quote) == "insufficient_balance"
    response = pos.post("/sales", body)
    assert response.status_code == 402 and error_code(response) == "insufficient_balance"
    _nothing_written(member, the_code, entries)
    # The member pays another way: the same code still works.
    assert pos.post("/sales", {**body, "pay_with": "external"}).status_code == 201


def test_a_coupon_that_does_not_apply_writes_nothing_and_keeps_the_code(pos, member, code):
    coupon = coupons.issue(member, "FULL200_20", key="c1")
    db.session.commit()
    the_code, entries = code(), count(LedgerEntry)
    response = pos.post("/sales", {"pos_txn_no": "T1", "member_code": the_code, "lines": [fuel("10.00")],
                                   "coupon_ids": [coupon.id]})
    assert response.status_code == 409 and error_code(response) == "coupon_not_applicable"
    _nothing_written(member, the_code, entries)
    missing = pos.post("/sales", {"pos_txn_no": "T1", "member_code": the_code, "lines": [fuel("40.00")],
                                  "coupon_ids": [999999]})
    assert missing.status_code == 404 and error_code(missing) == "not_found"
    _nothing_written(member, the_code, entries)


@pytest.mark.parametrize("raw, field", [
    (b"{not json", "body"),
    (b"[]", "body"),
    (b'{"pos_txn_no": "T1"}', "lines"),
    (b'{"pos_txn_no": "T1", "lines": []}', "lines"),
    (b'{"pos_txn_no": 7, "lines": [{"kind": "shop", "category": "drinks", "amount_fen": 5}]}', "pos_txn_no"),
    (b'{"pos_txn_no": "T1", "lines": [{"kind": "fuel", "grade": "92", "litres": 40.0, "unit_price_fen": 765}]}',
     "lines[0].litres"),
    (b'{"pos_txn_no": "T1", "lines": [{"kind": "fuel", "grade": "92", "litres": "40.0001", "unit_price_fen": 765}]}',
     "lines[0].litres"),
    (b'{"pos_txn_no": "T1", "lines": [{"kind": "fuel", "grade": "92", "litres": "0.00", "unit_price_fen": 765}]}',
     "lines[0].litres"),
    (b'{"pos_txn_no": "T1", "lines": [{"kind": "shop", "category": "drinks", "amount_fen": 5.5}]}',
     "lines[0].amount_fen"),
    (b'{"pos_txn_no": "T1", "lines": [{"kind": "shop", "category": "drinks", "amount_fen": true}]}',
     "lines[0].amount_fen"),
    (b'{"pos_txn_no": "T1", "lines": [{"kind": "gift", "amount_fen": 5}]}', "lines[0].kind"),
    (b'{"pos_txn_no": "T1", "lines": [{"kind": "fuel", "grade": "93", "litres": "1", "unit_price_fen": 765}]}',
     "lines[0].grade"),
    (b'{"pos_txn_no": "T1", "member_cod": "1", "lines": [{"kind": "shop", "category": "d", "amount_fen": 5}]}',
     "member_cod"),
    (b'{"pos_txn_no": "T1", "pay_with": "card", "lines": [{"kind": "shop", "category": "d", "amount_fen": 5}]}',
     "pay_with"),
    (b'{"pos_txn_no": "T1", "pay_with": "balance", "lines": [{"kind": "shop", "category": "d", "amount_fen": 5}]}',
     "pay_with"),
    (b'{"pos_txn_no": "T1", "lines": [{"kind": "shop", "category": "d", "amount_fen": NaN}]}', "body"),
    (b'\xff\xfe', "body"),
])
def test_malformed_requests_name_the_field_and_write_nothing(pos, raw, field):
    response = pos.post("/sales", raw=raw)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["message"]
    assert count(Sale) == 0


def test_a_station_sees_only_its_own_sales(pos, other_pos, member, code):
    sold = pos.post("/sales", {"pos_txn_no": "T1", "member_code": code(), "lines": [fuel()]})
    sale_id = sold.get_json()["sale"]["id"]
    mine = pos.get(f"/sales/{sale_id}")
    assert mine.status_code == 200 and mine.get_json()["sale"]["id"] == sale_id
    assert mine.get_json()["sale"]["member"]["id"] == member.id
    for response in (other_pos.get(f"/sales/{sale_id}"), pos.get("/sales/999999"), pos.get(f"/sales/{2 ** 63}")):
        assert response.status_code == 404 and error_code(response) == "not_found"


def test_a_sale_on_member_day_earns_double_at_the_pinned_clock(pos, world, member, code):
    tuesday = WEDNESDAY - timedelta(days=1)  # 17 November 2026, 10:00 in Shanghai
    world.config["PINNED_NOW"] = tuesday
    response = pos.post("/sales", {"pos_txn_no": "T1", "member_code": code(now=tuesday), "lines": [fuel("40.00")]})
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()["sale"]
    # 40 points for 40 L of 92#, x 2 on Tuesday (周二会员日): 80, whatever day the suite runs.
    assert sale["points_earned"] == 80 and sale["created_at"] == "2026-11-17T02:00:00Z"
