"""The sale path at the speed of its floor (issue 10): eight statements for a member's sale
paid externally, reference data cached until it changes, daily totals kept by sales and
refunds and checked by the invariants."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, select, text, update

from extensions import db
from loyalty import demo
from loyalty.books import invariants
from loyalty.errors import UnitPriceMismatch
from loyalty.people import members
from loyalty.till import refunds, sales
from loyalty.till.pricing import FuelLine
from models import DailyTotal, Station, StationPrice

WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, no member day
DAY = date(2026, 11, 18)


@pytest.fixture
def world(app):
    demo.seed()
    ming = members.create_member("13900000001", consent=True)
    db.session.commit()
    return ming


def statements_of(work) -> list[str]:
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.extend([statement] * (len(parameters) if executemany else 1))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_a_members_external_sale_without_coupons_is_eight_statements(world):
    ming = world.id  # read now: after a commit, reading it again is a statement
    sales.commit("S001", "WARM", [FuelLine("92", 10000, 765)], member_id=ming, now=WEDNESDAY)
    seen = statements_of(lambda: sales.commit("S001", "T1", [FuelLine("92", 40000, 765)], member_id=ming,
                                              now=WEDNESDAY))
    # lock + version, first sale, accounts lock, member + day + window, sale, points entry, lot, outbox.
    assert len(seen) == 8, seen
    assert "pg_advisory_xact_lock" in seen[0] and "reference_version" in seen[0]
    assert "FOR UPDATE" in seen[2]


def test_a_retry_is_answered_in_two_statements_and_writes_nothing(world):
    ming = world.id
    first = sales.commit("S001", "T1", [FuelLine("92", 40000, 765)], member_id=ming, now=WEDNESDAY)
    seen = statements_of(lambda: sales.commit("S001", "T1", [FuelLine("92", 40000, 765)], member_id=ming,
                                              now=WEDNESDAY))
    # lock + version, then the first sale found.
    assert len(seen) == 2 and not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "WITH")) for s in seen)
    assert first.created


def test_a_price_change_committed_elsewhere_is_seen_by_the_next_sale(world, app_factory):
    line, ming = [FuelLine("92", 40000, 765)], world.id
    sales.commit("S001", "T1", line, member_id=ming, now=WEDNESDAY)  # the cache holds 765
    other = app_factory()
    with other.app_context():  # another process: a hand-written UPDATE, no ORM event
        db.session.execute(text("UPDATE station_prices SET price_fen = 780 WHERE grade_code = '92'"))
        db.session.commit()
    with pytest.raises(UnitPriceMismatch):
        sales.commit("S001", "T2", line, member_id=ming, now=WEDNESDAY)
    assert sales.commit("S001", "T3", [FuelLine("92", 40000, 780)], member_id=ming,
                        now=WEDNESDAY).sale.payable_fen == 31200


def test_a_change_flushed_in_the_same_transaction_is_seen_at_once(world):
    sales.commit("S001", "T1", [FuelLine("92", 40000, 765)], member_id=world.id, now=WEDNESDAY)
    station = db.session.scalars(select(Station).where(Station.code == "S001")).one()
    station.active = False
    db.session.flush()
    with pytest.raises(Exception) as raised:
        sales.station_by_code("S001")
    assert "油站不存在" in str(raised.value)
    db.session.rollback()
    assert sales.station_by_code("S001").code == "S001"


def test_two_changes_in_one_transaction_are_each_seen_and_the_copy_kept_is_the_committed_one(world):
    """On PostgreSQL both changes carry the same version (the transaction's id): a copy
    kept after the first would serve its price for the rest of the process."""
    from loyalty import reference
    price = db.session.scalars(select(StationPrice).join(Station).where(Station.code == "S001",
                                                                      StationPrice.grade_code == "92")).one()
    station_id = price.station_id
    price.price_fen = 1111
    db.session.flush()
    assert reference.current().prices[station_id]["92"] == 1111
    price.price_fen = 2222
    db.session.flush()
    assert reference.current().prices[station_id]["92"] == 2222
    db.session.commit()
    assert reference.current().prices[station_id]["92"] == 2222
    db.session.commit()  # a later transaction, on the process's copy
    assert reference.current().prices[station_id]["92"] == 2222


def test_daily_totals_follow_the_sale_and_its_refunds(world):
    sale = sales.commit("S001", "T1", [FuelLine("92", 40000, 765)], member_id=world.id, now=WEDNESDAY).sale
    # 40 L × 7.65 = 306.00 yuan, 40 points (92# 1 a litre).
    assert row(world) == (40000, 30600, 1, 40)
    refunds.refund(sale.id, "R1", 10000, now=WEDNESDAY)
    # litres 40000 × 20600 // 30600 = 26928; points floor(40 × 10000 / 30600) = 13 taken back.
    assert row(world) == (26928, 20600, 1, 27)
    refunds.refund(sale.id, "R2", now=WEDNESDAY)
    assert row(world) == (0, 0, 0, 0)  # fully refunded: no litres, no visit
    assert invariants.check(db.session) == []


def test_the_invariants_catch_daily_totals_that_drift_from_the_sales(world):
    sales.commit("S001", "T1", [FuelLine("92", 40000, 765)], member_id=world.id, now=WEDNESDAY)
    db.session.execute(update(DailyTotal).values(litres_ml=DailyTotal.litres_ml + 1))
    problems = invariants.check(db.session)
    assert len(problems) == 1 and f"member {world.id}, day 2026-11-18" in problems[0]
    assert "40001, 30600, 1, 40" in problems[0] and "40000, 30600, 1, 40" in problems[0]


def test_the_migration_backfills_the_same_figures_the_sales_keep(world):
    sale = sales.commit("S001", "T1", [FuelLine("92", 40000, 765)], member_id=world.id, now=WEDNESDAY).sale
    refunds.refund(sale.id, "R1", 10000, now=WEDNESDAY)
    kept = row(world)
    db.session.execute(text("DELETE FROM member_daily_totals"))
    migration = load_migration("0015_daily_totals_reference_version.py")
    db.session.execute(text(migration.BACKFILL.format(day=migration.PG_DAY)))
    assert row(world) == kept


def load_migration(name: str):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location("migration_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(member) -> tuple:
    db.session.expire_all()
    found = db.session.get(DailyTotal, (member.id, DAY))
    return (found.litres_ml, found.amount_fen, found.visits, found.points)


def test_prices_of_the_cache_are_the_stations_own(world):
    # S002 sells 92# dearer: each station's list is its own in the cached copy too.
    s2 = db.session.scalars(select(Station).where(Station.code == "S002")).one()
    db.session.execute(update(StationPrice).where(StationPrice.station_id == s2.id, StationPrice.grade_code == "92")
                       .values(price_fen=770))
    db.session.commit()
    assert sales.commit("S002", "T1", [FuelLine("92", 10000, 770)], member_id=world.id,
                        now=WEDNESDAY).sale.payable_fen == 7700
    with pytest.raises(UnitPriceMismatch):
        sales.commit("S001", "T2", [FuelLine("92", 10000, 770)], member_id=world.id, now=WEDNESDAY)
