"""One POS transaction number committed by many racing requests is one sale (PostgreSQL)."""
import threading
from datetime import datetime, timezone

from sqlalchemy import func, select

from extensions import db
from loyalty import demo
from loyalty.books import invariants, stored_value
from loyalty.people import members
from loyalty.till import sales
from loyalty.till.pricing import FuelLine
from models import Sale

WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


def race(app, n, work):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                results.append(work())
            except Exception as exc:  # collected and asserted on below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_one_pos_transaction_number_committed_50_times_at_once_is_one_sale(app):
    demo.seed()
    member = members.create_member("13900000050", consent=True)
    stored_value.topup(members.account_of(member, "stored_value"), 100000, key="t")
    db.session.commit()
    member_id = member.id

    def commit():
        result = sales.commit("S001", "RACE-1", [FuelLine("92", 40000, 765)], member_id=member_id,
                              pay_with="balance", now=WEDNESDAY)
        return result.sale.id, result.created

    results, errors = race(app, 50, commit)
    assert errors == []
    assert len({sale_id for sale_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Sale).where(Sale.pos_txn_no == "RACE-1")) == 1
    assert members.account_of(member, "points").balance == 40
    assert members.account_of(member, "stored_value").balance == 105000 - 30600
    assert invariants.check(db.session) == []


def test_racing_sales_without_a_member_also_collapse_to_one(app):
    demo.seed()

    def commit():
        return sales.commit("S002", "RACE-2", [FuelLine("95", 30000, 818)], now=WEDNESDAY).sale.id

    results, errors = race(app, 20, commit)
    assert errors == [] and len(set(results)) == 1
