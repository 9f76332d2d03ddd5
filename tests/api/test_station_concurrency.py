"""Cashiers racing with one member code, over HTTP, on PostgreSQL."""
import threading

from api.pos_helpers import Pos, fuel
from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants
from loyalty.people import members
from models import Sale


def race(app, pos, bodies):
    """POST each body to /sales from its own thread (its own client), all at once."""
    barrier, results = threading.Barrier(len(bodies)), [None] * len(bodies)

    def run(i):
        terminal = Pos(app.test_client(), pos.code, pos.secret)
        barrier.wait()
        response = terminal.post("/sales", bodies[i])
        results[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_cashiers_one_code_one_sale(app, pos, member, code):
    the_code = code()
    bodies = [{"pos_txn_no": f"T{i}", "member_code": the_code, "lines": [fuel("40.00")], "pay_with": "balance"}
              for i in range(2)]
    results = race(app, pos, bodies)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 410], results
    loser = next(body for status, body in results if status == 410)
    assert loser["error"]["code"] == "code_used"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
    winner = next(body for status, body in results if status == 201)["sale"]
    assert members.account_of(member, "stored_value").balance == 105000 - winner["payable_fen"]
    assert invariants.check(db.session) == []


def test_eight_cashiers_one_code_one_sale(app, pos, member, code):
    the_code = code()
    results = race(app, pos, [{"pos_txn_no": f"T{i}", "member_code": the_code, "lines": [fuel("10.00")]}
                              for i in range(8)])
    assert sorted(status for status, _ in results) == [201] + [410] * 7
    assert all(body["error"]["code"] == "code_used" for status, body in results if status == 410)


def test_a_pos_retrying_while_its_first_request_runs_gets_the_one_sale(app, pos, member, code):
    body = {"pos_txn_no": "T1", "member_code": code(), "lines": [fuel("40.00")], "pay_with": "balance"}
    results = race(app, pos, [body] * 6)
    assert sorted(status for status, _ in results) == [200] * 5 + [201], results
    assert len({b["sale"]["id"] for _, b in results}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
    assert members.account_of(member, "stored_value").balance == 105000 - results[0][1]["sale"]["payable_fen"]

