"""The rollup job's rows, worked out by hand (tests/dashboards/world.py), on PostgreSQL and
SQLite: the Shanghai day boundary, members against anonymous sales, each grade, a refund
in full and one in part (a later refund recomputes its sale's old day), and a rerun that
writes the same rows."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from extensions import db
from loyalty.dashboards import rollup
from tests.dashboards.world import D, build, more, refund_s4, shanghai

D1 = D + timedelta(days=1)


def rows(table: str, columns: str) -> set[tuple]:
    found = db.session.execute(text(f"SELECT {columns} FROM {table}")).all()
    return {tuple(date.fromisoformat(v) if isinstance(v, str) and len(v) == 10 and v[4] == "-" else
                  (int(v) if isinstance(v, bool) else v) for v in row) for row in found}


def station_ids() -> dict[str, int]:
    return dict(db.session.execute(text("SELECT code, id FROM stations")).all())


def everything() -> dict:
    tables = {"rollup_sales_hours": "*", "rollup_grade_days": "*", "rollup_station_members": "*",
              "rollup_member_weeks": "*", "rollup_tier_counts": "*", "rollup_liabilities": "*",
              "rollup_points_expiry": "*", "rollup_coupon_days": "*", "rollup_push_days": "*"}
    return {t: rows(t, c) for t, c in tables.items()}


def test_sales_per_hour_and_grade_by_hand_and_a_later_refund_recomputes_its_old_day(any_app):
    world = build()
    s = station_ids()
    # The nightly run two days later covers D and D+1.
    rollup.nightly(shanghai(D + timedelta(days=2), "03:00:00"))
    db.session.commit()
    hours = {(D, s["S001"], 23, 0, 4, 1, 1, 40000, 30600),          # S1, 23:59:59 is still D
             (D, s["S001"], 10, 0, 4, 1, 1, 50000, 37100),          # S4, not refunded yet
             (D, s["S001"], 10, 1, 4, 1, 0, 0, 0),                  # S5, refunded in full: no visit
             (D, s["S002"], 10, 1, 4, 1, 1, 10000, 9060),           # S3
             (D1, s["S001"], 0, 1, 5, 1, 1, 20000, 16360)}          # S2, 00:00:00 is D+1 (a Friday)
    cols = "day, station_id, hour, member, weekday, sales, visits, litres_ml, paid_fen"
    assert rows("rollup_sales_hours", cols) == hours
    grades = {(D, s["S001"], "92", 2, 40000, 30600), (D, s["S001"], "0", 1, 50000, 37100),
              (D, s["S002"], "98", 1, 10000, 9060), (D1, s["S001"], "95", 1, 20000, 16360)}
    assert rows("rollup_grade_days", "day, station_id, grade_code, lines, litres_ml, amount_fen") == grades

    # S4 refunded by a fifth nine days after its sale: the next nightly run (its window
    # is the last 7 days) recomputes D because a sale of D was refunded within the window.
    refund_s4(world, shanghai(D + timedelta(days=9), "12:00:00"))
    rollup.nightly(shanghai(D + timedelta(days=10), "03:00:00"))
    db.session.commit()
    hours = (hours - {(D, s["S001"], 10, 0, 4, 1, 1, 50000, 37100)}) | {(D, s["S001"], 10, 0, 4, 1, 1, 40000, 29680)}
    assert rows("rollup_sales_hours", cols) == hours
    grades = (grades - {(D, s["S001"], "0", 1, 50000, 37100)}) | {(D, s["S001"], "0", 1, 40000, 29680)}
    assert rows("rollup_grade_days", "day, station_id, grade_code, lines, litres_ml, amount_fen") == grades


def test_station_members_and_members_per_week(any_app):
    world = build()
    s = station_ids()
    rollup.rebuild(date(2026, 11, 1), date(2026, 11, 15), shanghai(date(2026, 11, 15), "12:00:00"))
    db.session.commit()
    assert rows("rollup_station_members", "station_id, member_id, first_day, last_day") == {
        (s["S001"], world["east"], D1, D1), (s["S002"], world["east"], D, D), (s["S001"], world["west"], D, D)}
    week, before = date(2026, 11, 9), date(2026, 11, 2)
    # Chain: east joined in D's week, west the week before; both fuelled in D's week.
    # A station: new = first sale there that week; active = a sale there that week.
    assert rows("rollup_member_weeks", "week, station_id, new_members, active_members") == {
        (before, 0, 1, 0), (week, 0, 1, 2), (week, s["S001"], 2, 2), (week, s["S002"], 1, 1)}


def test_a_rerun_writes_the_same_rows_and_a_rebuild_agrees_with_the_nightly_run(any_app):
    build()
    now = shanghai(D + timedelta(days=3), "03:00:00")
    rollup.nightly(now)
    db.session.commit()
    first = everything()
    assert first["rollup_sales_hours"] and first["rollup_liabilities"]
    rollup.nightly(now)
    db.session.commit()
    assert everything() == first
    rollup.rebuild(D - timedelta(days=7), D + timedelta(days=3), now)
    db.session.commit()
    assert everything() == first


def test_snapshots_coupons_and_pushes_by_hand(any_app):
    from loyalty import demo
    from loyalty.people.members import account_of
    world = build()
    more(world)
    s = station_ids()
    now = shanghai(D + timedelta(days=2), "03:00:00")
    rollup.nightly(now)
    db.session.commit()
    day = D + timedelta(days=2)
    tiers = dict(db.session.execute(text("SELECT code, id FROM tiers")).all())
    # Chain: east, west and the demo member (no sale anywhere); S001: east and west; S002: east.
    assert rows("rollup_tier_counts", "day, station_id, tier_id, members") == {
        (day, 0, tiers["normal"], 3), (day, s["S001"], tiers["normal"], 2), (day, s["S002"], tiers["normal"], 1)}
    # East: 20 + 15 points, 500 yuan principal and 20 bonus; west nothing (S5 refunded in full).
    demo_sv = account_of(demo.demo_member(), "stored_value")
    assert (demo_sv.balance, demo_sv.bonus_balance) == (105000, 5000)  # the seed's 充1000送50
    assert rows("rollup_liabilities", "day, station_id, points, principal_fen, bonus_fen") == {
        (day, 0, 35, 150000, 7000), (day, s["S001"], 35, 50000, 2000), (day, s["S002"], 35, 50000, 2000)}
    # Earned in November 2026, the lots expire at the end of November 2028 (24 months).
    month = date(2028, 11, 1)
    assert rows("rollup_points_expiry", "day, station_id, month, points") == {
        (day, 0, month, 35), (day, s["S001"], month, 35), (day, s["S002"], month, 35)}
    # Issued on D (3), used on D at S002 (chain and S002), expired: validity ended D+1 00:00.
    assert rows("rollup_coupon_days", "day, station_id, issued, used, expired") == {
        (D, 0, 3, 1, 0), (D, s["S001"], 3, 0, 0), (D, s["S002"], 3, 1, 0),
        (D1, 0, 0, 0, 1), (D1, s["S001"], 0, 0, 1), (D1, s["S002"], 0, 0, 1)}
    # East's pushes count for both of east's stations; the memberless one for the chain only.
    assert rows("rollup_push_days", "day, station_id, channel, sent, failed") == {
        (D, 0, "template", 1, 0), (D, 0, "subscribe", 0, 1), (D1, 0, "custom", 1, 0),
        (D, s["S001"], "template", 1, 0), (D, s["S001"], "subscribe", 0, 1),
        (D, s["S002"], "template", 1, 0), (D, s["S002"], "subscribe", 0, 1)}
