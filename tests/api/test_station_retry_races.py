"""A POS retrying while its first request is still running, over HTTP, on PostgreSQL:
a nozzle sale and a top-up are each the one first result, whatever the interleaving."""
import threading

from api.pos_helpers import Pos, fuel
from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants
from loyalty.people import members
from loyalty.till import nozzles
from models import LedgerEntry, Sale


def race(app, pos, path, bodies):
    """POST each body to `path` from its own thread (its own client), all at once."""
    barrier, results = threading.Barrier(len(bodies)), [None] * len(bodies)

    def run(i):
        terminal = Pos(app.test_client(), pos.code, pos.secret)
        barrier.wait()
        response = terminal.post(path, bodies[i])
        results[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def nozzle_sale(no="T1"):
    return {"pos_txn_no": no, "station_nozzle": "3", "lines": [fuel("40.00")]}


def sales_at_s001():
    db.session.expire_all()
    return list(db.session.scalars(select(Sale)))


def test_racing_retries_of_a_nozzle_sale_are_one_sale_with_its_member(app, pos, member):
    for round_no in range(5):  # several rounds: each race may interleave differently
        nozzles.attach("S001", "3", member)
        results = race(app, pos, "/sales", [nozzle_sale(f"T{round_no}")] * 4)
        assert sorted(status for status, _ in results) == [200, 200, 200, 201], results
        assert {body["sale"]["id"] for _, body in results} == {results[0][1]["sale"]["id"]}
        assert all(body["sale"]["member"]["id"] == member.id for _, body in results)
        # The attachment was used once, by the sale: the next car at nozzle 3 is nobody's.
        assert nozzles.attached("S001", "3") is None
    assert [s.member_id for s in sales_at_s001()] == [member.id] * 5
    assert invariants.check(db.session) == []


def test_a_retry_arriving_while_the_first_holds_the_nozzle_waits_for_it(app, pos, member, monkeypatch):
    """The interleaving of the defect, forced: the first request has taken the attachment
    and stalls; the retry must not sell as a walk-in meanwhile (before the fix it did, and
    the first then got 409 and put the attachment back for the next car)."""
    real_take, first_took, retry_done = nozzles.take, threading.Event(), threading.Event()

    def stalling_take(station_code, nozzle):
        taken = real_take(station_code, nozzle)
        if not first_took.is_set():
            first_took.set()
            retry_done.wait(1.5)  # the retry runs now, if it can
        return taken

    monkeypatch.setattr(nozzles, "take", stalling_take)
    nozzles.attach("S001", "3", member)
    results = {}

    def send(name):
        results[name] = Pos(app.test_client(), pos.code, pos.secret).post("/sales", nozzle_sale())
        if name == "retry":
            retry_done.set()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert first_took.wait(10)
    retry = threading.Thread(target=send, args=("retry",))
    retry.start()
    first.join(30)
    retry.join(30)
    assert (results["first"].status_code, results["retry"].status_code) == (201, 200), \
        (results["first"].get_json(), results["retry"].get_json())
    for response in results.values():
        assert response.get_json()["sale"]["member"]["id"] == member.id
    assert nozzles.attached("S001", "3") is None  # never put back for the next car
    assert [s.member_id for s in sales_at_s001()] == [member.id]


def test_a_failed_nozzle_sale_puts_the_attachment_back(pos, member):
    nozzles.attach("S001", "3", member)
    body = {**nozzle_sale(), "pay_with": "balance", "lines": [fuel("200.00")]}  # 153 yuan more than she has
    response = pos.post("/sales", body)
    assert response.status_code == 402
    assert nozzles.attached("S001", "3").id == member.id


def test_racing_retries_of_a_topup_give_one_201_and_the_rest_200(app, pos, member, code):
    body = {"member_code": code(), "amount_fen": 100000, "topup_no": "C1", "pay_method": "wechat"}
    results = race(app, pos, "/topups", [body] * 6)
    assert sorted(status for status, _ in results) == [200] * 5 + [201], results
    # 105000 before; 100000 topped up once, with its 5000 bonus (充1000送50).
    assert {b["topup"]["balance_fen"] for _, b in results} == {210000}
    assert {b["topup"]["bonus_fen"] for _, b in results} == {5000}
    db.session.expire_all()
    assert members.account_of(member, "stored_value").balance == 210000
    principal = db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                  .where(LedgerEntry.kind == "topup", LedgerEntry.cause_ref == "S001:C1"))
    assert principal == 1
    assert invariants.check(db.session) == []
