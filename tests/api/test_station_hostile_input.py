"""Hostile input gets a 4xx, never a 500: headers that look like digits but are not ASCII,
non-ASCII signatures, request values of the wrong JSON type where a lookup expects a
string; and a member code in full-width digits (a Chinese input method) is accepted."""
import pytest
from api.pos_helpers import PREFIX, error_code, fuel

from web.api.signing import json_body, signed_headers

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def resolve_headers(secret: str, station: str = "S001", **changes):
    body = json_body({"code": "661234567890123456"})
    headers = signed_headers(station, secret, "POST", PREFIX + "/member-codes/resolve", body)
    headers.update(changes)
    return body, headers


@pytest.mark.parametrize("stamp", ["²", "１７００００００００", "٣", "+1700000000", " 1700000000", "1e9"],
                         ids=["superscript", "full-width", "arabic-indic", "plus", "space", "exponent"])
def test_a_timestamp_of_digits_that_are_not_ascii_is_refused_not_a_500(client, secrets_, stamp):
    # "²".isdigit() is True and int("²") raises; "１" and "٣" are digits int() reads.
    body, headers = resolve_headers(secrets_["S001"], **{"X-Timestamp": stamp})
    response = client.post(PREFIX + "/member-codes/resolve", data=body, headers=headers)
    assert response.status_code == 401 and error_code(response) == "invalid_signature"


@pytest.mark.parametrize("station", ["S001", "S999"])  # a known station, and one that does not exist
@pytest.mark.parametrize("signature", ["é" * 64, "签名", "\xff" * 64], ids=["accented", "chinese", "0xff"])
def test_a_non_ascii_signature_is_refused_not_a_500(client, secrets_, station, signature):
    body, headers = resolve_headers(secrets_["S001"], station, **{"X-Signature": signature})
    # Header values travel as latin-1 on the wire; send what the test client can encode.
    headers["X-Signature"] = signature.encode("utf-8").decode("latin-1")
    response = client.post(PREFIX + "/member-codes/resolve", data=body, headers=headers)
    assert response.status_code == 401 and error_code(response) == "invalid_signature"


@pytest.mark.parametrize("kind", [["fuel"], {"fuel": 1}, 92, None, True])
def test_a_line_kind_that_is_not_a_string_is_a_validation_error(pos, kind):
    response = pos.post("/sales/quote", {"lines": [{**fuel(), "kind": kind}]})
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert response.get_json()["error"]["field"] == "lines[0].kind"


@pytest.mark.parametrize("pay_with", [["balance"], {"balance": 1}, 1])
def test_a_pay_with_that_is_not_a_string_is_a_validation_error(pos, pay_with):
    response = pos.post("/sales/quote", {"lines": [fuel()], "pay_with": pay_with})
    assert response.status_code == 422 and error_code(response) == "validation_error"


def test_a_member_code_typed_in_full_width_digits_is_the_member(pos, code, member):
    issued = code()
    typed = issued.translate(FULL_WIDTH)
    assert typed != issued and not typed.isascii()
    response = pos.post("/member-codes/resolve", {"code": typed[:6] + "　" + typed[6:]})  # and a full-width space
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["member"]["id"] == member.id


def test_a_sale_with_a_full_width_member_code_earns_that_member_points(pos, code, member):
    response = pos.post("/sales", {"pos_txn_no": "T-FW-1", "member_code": code().translate(FULL_WIDTH),
                                   "lines": [fuel()]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sale"]["member"]["id"] == member.id



@pytest.mark.parametrize("field, value", [("pos_txn_no", "T-NUL\x00"), ("pos_txn_no", "T\x1bESC"),
                                          ("sku", "SKU\x00")])
def test_a_control_character_in_a_text_field_is_a_validation_error_not_a_500(pos, field, value):
    # PostgreSQL refuses NUL in text: found by schemathesis as a 500 on the sale's retry lookup.
    shop = {"kind": "shop", "category": "drinks", "amount_fen": 500}
    line = {**shop, "sku": value} if field == "sku" else shop
    body = {"pos_txn_no": value if field == "pos_txn_no" else "T-CTRL-1", "lines": [line]}
    response = pos.post("/sales", body)
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert response.get_json()["error"]["field"] == (field if field == "pos_txn_no" else "lines[0].sku")


def test_a_reference_with_a_control_character_is_refused_by_the_one_validator():
    from loyalty.errors import ValidationError
    from loyalty.once import check_reference
    assert check_reference("S001-20261202-0001", "pos_txn_no", "POS 流水号") == "S001-20261202-0001"
    with pytest.raises(ValidationError):
        check_reference("T\x00", "pos_txn_no", "POS 流水号")
