"""A fuel line's amount and unit price are checked against litres x price and the
station's price list (S001 sells 92# at 7.65 yuan a litre in the demo seed)."""
import pytest
from api.pos_helpers import error_code, fuel
from sqlalchemy import func, select

from extensions import db
from models import Sale


def sale_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Sale))


def line(litres, amount_fen, price=765, **extra):
    return {**fuel(litres, price=price), "amount_fen": amount_fen, **extra}


def test_ten_thousand_litres_for_one_fen_is_refused(pos, member, code):
    response = pos.post("/sales", {"pos_txn_no": "T1", "member_code": code(),
                                   "lines": [line("9999.999", 1)]})
    assert response.status_code == 422 and error_code(response) == "line_amount_mismatch"
    assert response.get_json()["error"]["field"] == "lines[0].amount_fen"
    assert sale_count() == 0


@pytest.mark.parametrize("litres, amount_fen, ok", [
    # 40 L x 765 = 30600 fen exactly.
    ("40.00", 30600, True),
    # The tolerance is what 5 ml cost, half up: 5 x 765 / 1000 = 3.825 -> 4 fen.
    ("40.00", 30604, True), ("40.00", 30596, True),
    ("40.00", 30605, False), ("40.00", 30595, False),
    # A pump preset to 200 yuan shows 26.14 L: 26.14 x 765 = 19997.1 -> 19997, 3 fen from 20000.
    ("26.14", 20000, True),
])
def test_the_pump_amount_may_differ_from_litres_times_price_by_what_5_ml_cost(pos, litres, amount_fen, ok):
    response = pos.post("/sales", {"pos_txn_no": "T1", "lines": [line(litres, amount_fen)]})
    if ok:
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["sale"]["gross_fen"] == amount_fen  # the pump's amount is the gross
    else:
        assert response.status_code == 422 and error_code(response) == "line_amount_mismatch"


def test_a_unit_price_off_the_station_price_list_is_refused(pos):
    for path in ("/sales/quote", "/sales"):
        response = pos.post(path, {"pos_txn_no": "T1", "lines": [fuel("40.00", price=1)]} if path == "/sales"
                            else {"lines": [fuel("40.00", price=1)]})
        assert response.status_code == 422 and error_code(response) == "unit_price_mismatch"
        assert response.get_json()["error"]["field"] == "lines[0].unit_price_fen"
    assert sale_count() == 0


def test_a_price_the_pos_marks_as_its_own_is_accepted(pos):
    # A price change at the pump not yet on Youka's price list: 7.50 yuan, said so.
    response = pos.post("/sales", {"pos_txn_no": "T1", "lines": [{**fuel("40.00", price=750),
                                                                  "price_override": True}]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sale"]["gross_fen"] == 30000  # 40 x 750
    # Said so, it is still checked against litres x its own price.
    wrong = pos.post("/sales", {"pos_txn_no": "T2", "lines": [line("40.00", 1, price=750, price_override=True)]})
    assert wrong.status_code == 422 and error_code(wrong) == "line_amount_mismatch"
