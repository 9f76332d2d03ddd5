"""The cashier page through Flask's test client: login, roles and stations, CSRF, the
login rate limit, and a sale's life (identify, quote, commit, refund, top-up) over the
JSON endpoints, with the errors a cashier sees."""
from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import coupons
from loyalty import demo
from loyalty.till import member_codes, nozzles
from loyalty.people import members
from loyalty.people import staff as staff_rules
from models import Sale, Staff
from tests.cashier.fixtures import PASSWORD, form_csrf, login, pinned_clock, till  # noqa: F401  (fixtures)
from tests.factories import on_weekday

FUEL_40 = {"kind": "fuel", "grade": "92", "litres": "40.00"}


@pytest.fixture(autouse=True)
def _clock(pinned_clock):
    """Every test here runs at a pinned moment that is not member day (see pinned_clock)."""
    return pinned_clock


def demo_code() -> str:
    """A fresh code of the demo member, issued at the till's pinned clock."""
    return member_codes.issue(demo.demo_member(), now=current_app.config["PINNED_NOW"]).code


def give_coupon(template: str) -> int:
    coupon = coupons.issue(demo.demo_member(), template, key=f"test:{template}",
                           now=current_app.config["PINNED_NOW"])
    db.session.commit()
    return coupon.id


def error_of(resp) -> tuple[int, str, str]:
    body = resp.get_json()
    return resp.status_code, body["error"]["code"], body["error"]["message"]


# ---- login, logout, sessions ---------------------------------------------------------

def test_the_screen_asks_for_a_login_first(till, client):
    resp = client.get("/cashier/")
    assert resp.status_code == 302 and "/cashier/login" in resp.headers["Location"]
    assert error_of(client.post("/cashier/api/quote", json={}))[:2] == (401, "login_required")


def test_a_cashier_logs_in_sees_their_station_and_logs_out(login):
    li = login("li")
    page = li.client.get("/cashier/").get_data(as_text=True)
    assert "城东加油站（S001）" in page and "李雷 · 收银员" in page
    assert "92# · 7.65元/升" in page and "0# 柴油 · 7.42元/升" in page
    resp = li.client.post("/cashier/logout", data={"csrf_token": form_csrf(page)})
    assert resp.status_code == 302
    assert li.client.get("/cashier/").status_code == 302


def test_a_wrong_password_and_an_unknown_user_read_the_same(till, client):
    csrf = form_csrf(client.get("/cashier/login").get_data(as_text=True))
    for username in ("li", "nobody"):
        resp = client.post("/cashier/login", data={"username": username, "password": "wrong-pass",
                                                   "csrf_token": csrf})
        assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)


def test_logging_in_needs_the_form_token(till, client):
    resp = client.post("/cashier/login", data={"username": "li", "password": PASSWORD})
    assert resp.status_code == 400 and "页面已过期" in resp.get_data(as_text=True)


def test_five_failures_lock_that_username_from_that_address_for_five_minutes(till, client):
    csrf = form_csrf(client.get("/cashier/login").get_data(as_text=True))
    for _ in range(5):
        client.post("/cashier/login", data={"username": "li", "password": "wrong-pass", "csrf_token": csrf})
    resp = client.post("/cashier/login", data={"username": "li", "password": PASSWORD, "csrf_token": csrf})
    assert resp.status_code == 429 and "5 分钟后再试" in resp.get_data(as_text=True)
    other = till.test_client()  # another till (address) is not locked out by this one
    csrf2 = form_csrf(other.get("/cashier/login").get_data(as_text=True))
    resp = other.post("/cashier/login", data={"username": "li", "password": PASSWORD, "csrf_token": csrf2},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert resp.status_code == 302


def test_a_deactivated_login_stops_at_the_next_click(login):
    li = login("li")
    db.session.scalars(select(Staff).where(Staff.username == "li")).one().active = False
    db.session.commit()
    assert error_of(li.post("/quote", {"lines": [FUEL_40]}))[:2] == (401, "login_required")
    assert staff_rules.authenticate("li", PASSWORD) is None


def test_api_writes_need_the_csrf_header_and_the_same_origin(login):
    li = login("li")
    resp = li.client.post("/cashier/api/quote", json={"lines": [FUEL_40]})
    assert error_of(resp)[:2] == (403, "csrf_failed")
    resp = li.post("/quote", {"lines": [FUEL_40]}, Origin="https://evil.example")
    assert error_of(resp)[:2] == (403, "csrf_failed")
    assert li.post("/quote", {"lines": [FUEL_40]}, Origin="http://localhost").status_code == 200


# ---- stations and roles -----------------------------------------------------------------

def test_a_cashier_and_a_manager_act_at_their_own_station_only(login):
    for username in ("li", "wang"):
        till = login(username)
        assert till.post("/quote", {"station": "S001", "lines": [FUEL_40]}).status_code == 200
        code, kind, message = error_of(till.post("/quote", {"station": "S002", "lines": [FUEL_40]}))
        assert (code, kind, message) == (403, "not_allowed", "无权操作该油站")


def test_another_stations_sale_is_not_found_for_a_cashier_but_hq_sees_it(login):
    zhao = login("zhao")
    sale = zhao.post("/sales", {"pos_txn_no": "S002-T-0001", "lines": [FUEL_40]}).get_json()["sale"]
    assert sale["station"]["code"] == "S002"
    li = login("li")
    assert error_of(li.get(f"/sales/{sale['id']}"))[:2] == (404, "not_found")
    assert error_of(li.post(f"/sales/{sale['id']}/refunds", {"refund_no": "R-0001"}))[:2] == (404, "not_found")
    hq = login("hq")
    assert hq.get(f"/sales/{sale['id']}").get_json()["sale"]["pos_txn_no"] == "S002-T-0001"


def test_hq_chooses_the_station_on_the_screen(login):
    hq = login("hq")
    page = hq.client.get("/cashier/?station=S003").get_data(as_text=True)
    assert 'data-station="S003"' in page and "高速服务区站（S003）" in page
    assert hq.post("/quote", {"station": "S002", "lines": [FUEL_40]}).status_code == 200
    assert error_of(hq.post("/quote", {"lines": [FUEL_40]}))[:2] == (400, "validation_error")


# ---- a sale with the member's e-card code ---------------------------------------------------

def test_a_code_identifies_the_member_masked(login):
    li = login("li")
    member = li.post("/members/identify", {"member": {"code": demo_code()}}).get_json()["member"]
    assert member["phone"] == "138****8000" and "13800138000" not in str(member)
    assert (member["balance"], member["via_name"], member["may_pay_from_balance"]) == ("1050.00", "会员码", True)


def test_the_quote_lists_each_discount_and_the_points_before_anything_is_written(login):
    l92, full = give_coupon("L92_30"), give_coupon("FULL200_20")
    li = login("li")
    quote = li.post("/quote", {"member": {"code": demo_code()}, "lines": [FUEL_40],
                               "coupon_ids": [l92, full]}).get_json()["quote"]
    assert quote["gross"]["yuan"] == "306.00"
    assert [(d["label"], d["amount"]["yuan"]) for d in quote["discounts"]] == [
        ("92#直降券 0.30元/升", "12.00"), ("满200减20", "20.00")]
    assert quote["payable"]["yuan"] == "274.00"
    assert quote["points"]["lines"][0] == {"label": "92# 每升1分", "points": 40}
    assert quote["points"]["total"] == 40
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 0


def test_on_member_day_the_till_quotes_and_commits_double_points(login, till, pinned_clock):
    # The demo rules: 92# earns 1 point a litre, doubled on Tuesday (Shanghai): 40 L -> 80.
    till.config["PINNED_NOW"] = on_weekday(pinned_clock, member_day=True)
    li = login("li")
    quote = li.post("/quote", {"member": {"code": demo_code()}, "lines": [FUEL_40]}).get_json()["quote"]
    assert quote["points"]["total"] == 80
    sale = li.post("/sales", {"member": {"code": demo_code()}, "lines": [FUEL_40],
                              "pos_txn_no": "S001-TUE-0001"}).get_json()["sale"]
    assert sale["points_earned"] == 80


def test_committing_consumes_the_code_and_a_retry_returns_the_same_sale(login):
    li, code = login("li"), demo_code()
    request = {"member": {"code": code}, "lines": [FUEL_40], "pos_txn_no": "S001-20261123-0001",
               "pay_with": "balance"}
    first = li.post("/sales", request)
    assert first.status_code == 201
    sale = first.get_json()["sale"]
    assert (sale["payable"]["yuan"], sale["pay_with"], sale["member"]["phone"]) == ("306.00", "balance", "138****8000")
    assert sale["points_earned"] == 40
    assert first.get_json()["member"]["balance"] == "744.00"
    again = li.post("/sales", request)
    assert again.status_code == 200 and again.get_json()["sale"]["id"] == sale["id"]
    assert error_of(li.post("/members/identify", {"member": {"code": code}}))[:2] == (409, "code_used")


def test_a_failed_sale_leaves_the_code_usable(login):
    li, code = login("li"), demo_code()
    big = {"kind": "fuel", "grade": "98", "litres": "200.00"}  # 1812 yuan > the 1050 on the card
    status, kind, message = error_of(li.post("/sales", {"member": {"code": code}, "lines": [big],
                                                        "pos_txn_no": "S001-T-0002", "pay_with": "balance"}))
    assert (status, kind, message) == (409, "insufficient_balance", "储值余额不足")
    assert li.post("/members/identify", {"member": {"code": code}}).status_code == 200


@pytest.mark.parametrize("code, kind", [("660000000000000000", "code_invalid"), ("12345", "code_invalid")])
def test_a_bad_code_gets_a_chinese_message(login, code, kind):
    status, found, message = error_of(login("li").post("/members/identify", {"member": {"code": code}}))
    assert (status, found) == (409, kind) and message == "会员码无效，请核对后重试"


def test_a_phone_lookup_earns_points_but_may_not_pay_from_balance_or_use_coupons(login):
    li, coupon = login("li"), give_coupon("L92_30")
    member = li.post("/members/identify", {"member": {"phone": "138 0013 8000"}}).get_json()["member"]
    assert member["coupons"] == [] and member["may_pay_from_balance"] is False
    by_phone = {"member": {"phone": "13800138000"}, "lines": [FUEL_40], "pos_txn_no": "S001-T-0003"}
    assert error_of(li.post("/sales", {**by_phone, "pay_with": "balance"}))[:2] == (403, "not_allowed")
    assert error_of(li.post("/quote", {**by_phone, "coupon_ids": [coupon]}))[:2] == (403, "not_allowed")
    assert li.post("/sales", by_phone).get_json()["sale"]["points_earned"] == 40
    assert error_of(li.post("/members/identify", {"member": {"phone": "13900000000"}}))[:2] == (404, "not_found")


def test_fuel_by_amount_and_shop_lines(login):
    li = login("li")
    quote = li.post("/quote", {"lines": [{"kind": "fuel", "grade": "95", "amount": "300.00"},
                                         {"kind": "shop", "category": "drinks", "amount": "5.50"}]}).get_json()
    lines = quote["quote"]["lines"]
    assert lines[0]["label"] == "95# 36.675升 × 8.18元/升" and lines[0]["gross"]["yuan"] == "300.00"
    assert lines[1]["label"] == "饮料" and quote["quote"]["payable"]["yuan"] == "305.50"
    assert quote["quote"]["points"]["total"] == 0 and quote["quote"]["member"] is None


@pytest.mark.parametrize("line, message", [
    ({"kind": "fuel", "grade": "92", "litres": "40.0001"}, "升数最多三位小数"),
    ({"kind": "fuel", "grade": "92", "litres": "abc"}, "升数格式不正确"),
    ({"kind": "fuel", "grade": "92", "litres": "-1"}, "升数必须大于零"),
    ({"kind": "fuel", "grade": "93", "litres": "10"}, "第 1 行：本站没有该油品的价格"),
    ({"kind": "shop", "category": "drinks", "amount": "1.005"}, "商品金额最多两位小数"),
])
def test_what_the_cashier_types_is_checked_with_decimal(login, line, message):
    assert error_of(login("li").post("/quote", {"lines": [line]})) == (400, "validation_error", message)


# ---- refunds and top-ups -----------------------------------------------------------------

def test_a_partial_then_a_full_refund_on_the_receipt(login):
    li = login("li")
    sale = li.post("/sales", {"member": {"code": demo_code()}, "lines": [FUEL_40],
                              "pos_txn_no": "S001-T-0004"}).get_json()["sale"]
    part = li.post(f"/sales/{sale['id']}/refunds", {"refund_no": "R-0001", "amount": "106.00"})
    assert part.status_code == 201 and part.get_json()["sale"]["refundable"]["yuan"] == "200.00"
    too_much = li.post(f"/sales/{sale['id']}/refunds", {"refund_no": "R-0002", "amount": "300.00"})
    assert error_of(too_much)[:2] == (400, "validation_error")
    rest = li.post(f"/sales/{sale['id']}/refunds", {"refund_no": "R-0003"}).get_json()
    assert rest["refund"]["amount"]["yuan"] == "200.00" and rest["sale"]["refunded"]["yuan"] == "306.00"
    assert rest["member"]["points"] == 0
    assert sum(r["points_reversed"] for r in rest["sale"]["refunds"]) == sale["points_earned"]


def test_a_top_up_with_the_code_earns_the_bonus_once(login):
    li, code = login("li"), demo_code()
    request = {"member": {"code": code}, "amount": "500.00", "pay_method": "wechat", "topup_no": "T-S001-0001"}
    first = li.post("/topups", request)
    assert first.status_code == 201
    topup = first.get_json()["topup"]
    assert (topup["amount"]["yuan"], topup["bonus"]["yuan"], topup["bonus_label"], topup["balance"]["yuan"]) == \
        ("500.00", "20.00", "充500送20", "1570.00")
    assert li.post("/topups", request).get_json()["topup"]["balance"]["yuan"] == "1570.00"  # a retry
    assert error_of(li.post("/topups", {**request, "topup_no": "T-S001-0002"}))[:2] == (409, "code_used")


def test_a_top_up_by_phone_and_its_errors(login):
    li = login("li")
    by_phone = {"member": {"phone": "13800138000"}, "amount": "100", "topup_no": "T-S001-0003"}
    assert li.post("/topups", by_phone).get_json()["topup"]["balance"]["yuan"] == "1150.00"
    assert error_of(li.post("/topups", {**by_phone, "amount": "0"}))[1:] == ("validation_error", "充值金额必须大于零")
    assert error_of(li.post("/topups", {**by_phone, "pay_method": "iou"}))[1:] == ("validation_error", "请选择收款方式")
    assert members.account_of(demo.demo_member(), "stored_value").balance == 115000


# ---- the member who scanned the pump's QR code --------------------------------------------

def test_the_nozzle_member_is_picked_and_the_sale_takes_the_attachment(login):
    li = login("li")
    assert li.get("/nozzles/3/member?station=S001").get_json() == {"member": None}
    nozzles.attach("S001", "3", demo.demo_member())
    member = li.get("/nozzles/3/member").get_json()["member"]
    assert (member["phone"], member["via_name"], member["may_pay_from_balance"]) == ("138****8000", "油枪扫码", False)
    at_pump = {"member": {"nozzle": "3"}, "lines": [FUEL_40], "pos_txn_no": "S001-T-0005"}
    assert error_of(li.post("/quote", {**at_pump, "pay_with": "balance"}))[:2] == (403, "not_allowed")
    first = li.post("/sales", at_pump)
    sale = first.get_json()["sale"]
    assert first.status_code == 201 and (sale["member"]["phone"], sale["nozzle"]) == ("138****8000", "3")
    assert nozzles.attached("S001", "3") is None
    assert li.post("/sales", at_pump).get_json()["sale"]["id"] == sale["id"]  # a retry, attachment gone
    status, kind, message = error_of(li.post("/sales", {**at_pump, "pos_txn_no": "S001-T-0006"}))
    assert (status, kind) == (404, "not_found") and "3 号油枪" in message
