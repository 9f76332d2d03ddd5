"""Refunds and top-ups over the station API."""
from datetime import datetime, timezone

from api.pos_helpers import error_code, fuel
from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants
from loyalty.till import member_codes
from loyalty.people import members
from models import LedgerEntry

WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai: no member day


def balance(member, kind="stored_value") -> int:
    db.session.expire_all()
    return members.account_of(member, kind).balance


def paid_sale(pos, code) -> dict:
    response = pos.post("/sales", {"pos_txn_no": "T1", "member_code": code(), "lines": [fuel("40.00")],
                                   "pay_with": "balance"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["sale"]


def test_a_partial_refund_then_the_rest(pos, world, member, code):
    world.config["PINNED_NOW"] = WEDNESDAY
    sale = paid_sale(pos, lambda: code(now=WEDNESDAY))
    # 40 L x 7.65 = 30600 fen from the balance, 40 points (1 a litre, a Wednesday).
    assert (sale["payable_fen"], sale["points_earned"]) == (30600, 40)
    half = 15300
    first = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R1", "amount_fen": half})
    assert first.status_code == 201, first.get_json()
    refund = first.get_json()["refund"]
    assert refund["amount_fen"] == half and refund["balance_returned_fen"] == half
    # Half the money back: half the points, 40 x 15300 / 30600 = 20.
    assert refund["points_reversed"] == 20
    assert first.get_json()["sale"]["refunded_fen"] == half
    assert balance(member) == 105000 - 30600 + 15300 == 89700
    retry = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R1", "amount_fen": half})
    assert retry.status_code == 200 and retry.get_json()["refund"]["id"] == refund["id"]
    conflict = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R1", "amount_fen": half - 1})
    assert conflict.status_code == 409 and error_code(conflict) == "duplicate_conflict"
    too_much = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R2", "amount_fen": 30600})
    assert too_much.status_code == 422 and error_code(too_much) == "validation_error"
    rest = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R3"})  # no amount: all that is left
    assert rest.status_code == 201 and rest.get_json()["refund"]["amount_fen"] == 30600 - 15300
    assert rest.get_json()["refund"]["points_reversed"] == 40 - 20
    assert balance(member) == 105000 and balance(member, "points") == 0
    assert invariants.check(db.session) == []


def test_another_stations_sale_cannot_be_refunded_there(pos, other_pos, member, code):
    sale = paid_sale(pos, code)
    response = other_pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R1"})
    assert response.status_code == 404 and error_code(response) == "not_found"
    assert balance(member) == 105000 - sale["payable_fen"]


def topup(pos, the_code, no="C1", amount=100000, method="wechat"):
    return pos.post("/topups", {"member_code": the_code, "amount_fen": amount, "topup_no": no, "pay_method": method})


def test_a_topup_with_its_bonus_is_idempotent_on_the_topup_number(pos, member, code):
    the_code = code()
    first = topup(pos, the_code)
    assert first.status_code == 201, first.get_json()
    done = first.get_json()["topup"]
    assert (done["amount_fen"], done["bonus_fen"], done["bonus_label"]) == (100000, 5000, "充1000送50")
    assert done["balance_fen"] == 105000 + 105000 == balance(member) == done["member"]["balance_fen"]
    retry = topup(pos, the_code)  # the same code, now used: still the first top-up
    assert retry.status_code == 200 and retry.get_json()["topup"]["balance_fen"] == 210000
    assert balance(member) == 210000
    for changed in (topup(pos, the_code, amount=50000), topup(pos, the_code, method="cash")):
        assert changed.status_code == 409 and error_code(changed) == "duplicate_conflict"
    used = topup(pos, the_code, no="C2")
    assert used.status_code == 410 and error_code(used) == "code_used"
    assert invariants.check(db.session) == []


def test_the_same_topup_number_at_two_stations_is_two_topups(pos, other_pos, member, code):
    assert topup(pos, code(), amount=10000).status_code == 201
    assert topup(other_pos, code(), amount=10000).status_code == 201
    assert balance(member) == 105000 + 20000


def test_a_failed_topup_writes_nothing_and_keeps_the_code(pos, member, code):
    the_code = code()
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    for bad, field in [({"amount_fen": 0}, "amount_fen"), ({"amount_fen": 10 ** 9}, "amount_fen"),
                       ({"pay_method": "gold"}, "pay_method"), ({"topup_no": ""}, "topup_no")]:
        body = {"member_code": the_code, "amount_fen": 1000, "topup_no": "C1", "pay_method": "cash", **bad}
        response = pos.post("/topups", body)
        assert response.status_code == 422 and response.get_json()["error"]["field"] == field
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries
    assert member_codes.resolve(the_code).id == member.id
    invalid = topup(pos, "66" + "0" * 16)
    assert invalid.status_code == 422 and error_code(invalid) == "code_invalid"


def test_a_sale_paid_wholly_by_a_coupon_can_be_refunded_and_gets_its_coupon_back(pos, member, code):
    from loyalty.benefits import coupons
    from models import Coupon
    wash = coupons.issue(member, "WASH_FREE", key="c1")
    db.session.commit()
    sold = pos.post("/sales", {"pos_txn_no": "T1", "member_code": code(), "coupon_ids": [wash.id],
                               "lines": [{"kind": "shop", "category": "car_wash", "amount_fen": 3000}]})
    assert sold.status_code == 201, sold.get_json()
    sale = sold.get_json()["sale"]
    assert sale["payable_fen"] == 0  # the free car wash covers the whole 30 yuan
    response = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R1"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["refund"]["amount_fen"] == 0
    db.session.expire_all()
    assert db.session.get(Coupon, wash.id).status == "issued"
    retry = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R1"})
    assert retry.status_code == 200 and retry.get_json()["refund"]["id"] == response.get_json()["refund"]["id"]
    again = pos.post(f"/sales/{sale['id']}/refund", {"refund_no": "R2"})  # nothing left to refund
    assert again.status_code == 422 and error_code(again) == "validation_error"
    assert invariants.check(db.session) == []
