"""What a cashier's screen (or anyone with its session) sends: wrong JSON types get a
Chinese validation message, never a 500; full-width digits, as a Chinese input method
types them, are read as ASCII digits; a body past 16 KB is refused in its JSON shape."""
from __future__ import annotations

import io

import pytest

from loyalty import demo
from loyalty.till import member_codes
from tests.cashier.fixtures import login, till  # noqa: F401  (fixtures)

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
FUEL_40 = {"kind": "fuel", "grade": "92", "litres": "40.00"}


def test_a_member_code_typed_in_full_width_digits_identifies_the_member(login):
    typed = member_codes.issue(demo.demo_member()).code.translate(FULL_WIDTH)
    response = login("li").post("/members/identify", {"member": {"code": typed}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["member"]["phone"] == "138****8000"


def test_a_phone_typed_in_full_width_digits_finds_the_member(login):
    response = login("li").post("/members/identify", {"member": {"phone": "１３８ ０0１３ ８０００"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["member"]["phone"] == "138****8000"


@pytest.mark.parametrize("path, payload, field", [
    ("/quote", {"station": ["S001"], "lines": [FUEL_40]}, "station"),
    ("/quote", {"lines": [FUEL_40], "pay_with": ["balance"]}, "pay_with"),
    ("/quote", {"lines": [FUEL_40], "pay_with": "iou"}, "pay_with"),
    ("/topups", {"member": {"phone": "13800138000"}, "amount": "100", "topup_no": "T-S001-9",
                 "pay_method": ["cash"]}, "pay_method"),
], ids=["station as a list", "pay_with as a list", "pay_with unknown", "pay_method as a list"])
def test_a_value_of_the_wrong_type_is_a_validation_error(login, path, payload, field):
    response = login("li").post(path, payload)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("sale_id", [2 ** 63, 10 ** 30], ids=["bigint + 1", "30 digits"])
def test_a_sale_number_past_any_id_is_not_found(login, sale_id):
    response = login("li").get(f"/sales/{sale_id}")
    assert response.status_code == 404, response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["é" * 43, "令牌"], ids=["accented", "chinese"])
def test_a_non_ascii_csrf_token_is_refused_not_a_500(login, token):
    li = login("li")
    li.csrf = token.encode("utf-8").decode("latin-1")  # as a header carries it
    response = li.post("/quote", {"lines": [FUEL_40]})
    assert response.status_code == 403, response.get_data(as_text=True)


@pytest.mark.parametrize("amount", ["1e999999999", "1e999990", "9" * 400], ids=["overflow", "slow", "400 nines"])
def test_an_absurd_amount_is_too_large_at_once(login, amount):
    # "1e999999999" overflowed Decimal (a 500); "1e999990" took half a minute to refuse.
    by_phone = {"member": {"phone": "13800138000"}, "amount": amount, "topup_no": "T-S001-8"}
    response = login("li").post("/topups", by_phone)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "充值金额过大"


def test_a_chunked_json_body_past_16_kb_is_refused_in_the_pages_shape(login):
    li = login("li")
    body = b'{"lines": [], "pad": "' + b"x" * (16 * 1024) + b'"}'
    # Chunked: no Content-Length, the server ends the stream (wsgi.input_terminated).
    response = li.client.post("/cashier/api/quote", input_stream=io.BytesIO(body),
                              content_type="application/json", headers={"X-CSRF-Token": li.csrf},
                              environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
