"""Seeded synthetic worlds, through the whole path (entry by the hash, sales in the
window, the report's SQL, the test): where the offer truly lifts the visit rate by 5
points the report finds it; where it does nothing the report finds no significant
lift in most splits. PostgreSQL (the members and sales are written set-based)."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from extensions import db
from loyalty import demo
from loyalty.campaigns import measure
from loyalty.campaigns.lifecycle import get
from tests.campaigns.world import arms_of, bulk_members, campaign, days, launch, segment
from tests.reminders.world import shanghai

T0 = shanghai("2026-11-02", "10:00")
MEMBERS = 20_000


def visits(member_ids: list[int], tag: str) -> None:
    """One 40 L, 300 yuan sale on day 2 of the window for each member given."""
    db.session.execute(text("""
        INSERT INTO sales (station_id, pos_txn_no, request_hash, member_id, gross_fen, discount_fen, payable_fen,
                           pay_with, paid_from_balance_fen, litres_ml, points_earned, refunded_fen, created_at)
        SELECT (SELECT min(id) FROM stations), :tag || m, 'synthetic', m, 30000, 0, 30000, 'external', 0, 40000, 0, 0,
               :at
        FROM unnest(CAST(:ids AS integer[])) m"""), {"ids": member_ids, "tag": tag, "at": T0 + days(2)})
    db.session.commit()


def world(campaigns: int) -> None:
    demo.seed()
    bulk_members(MEMBERS, start=1000)
    segment("ALL", [{"filter": "consent", "category": "marketing"}])
    for n in range(1, campaigns + 1):
        campaign(f"C{n}")
        launch(f"C{n}", now=T0)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_true_five_point_lift_is_found(app, seed):
    world(1)
    rng = random.Random(seed)
    arms = arms_of("C1")
    assert len(arms) == MEMBERS
    came = [m for m, arm in sorted(arms.items()) if rng.random() < (0.20 if arm == "holdout" else 0.25)]
    visits(came, "S")
    by = {a.code: a for a in measure.report(get("C1"), now=T0 + days(30)).arms}
    lift = by["A"].lift
    assert lift.enough and lift.significant and lift.p_value < 0.05, lift
    assert lift.absolute_ci[0] < 0.05 < lift.absolute_ci[1] and lift.absolute > 0
    assert lift.verdict.startswith("显著") and "提升" in lift.verdict
    # 40 L and 300 yuan per visit: the increment is the extra visitors' figures, net of no coupon.
    extra = by["A"].conversions - round(by["holdout"].conversions * by["A"].members / by["holdout"].members)
    assert abs(by["A"].incremental_ml - 40_000 * extra) <= 40_000
    assert by["A"].net_incremental_fen == by["A"].incremental_fen


def test_no_effect_shows_no_significant_lift_in_most_splits(app):
    world(20)
    rng = random.Random(7)
    visits([m for m in range(1000, 1000 + MEMBERS) if rng.random() < 0.20], "N")
    lifts = [next(a for a in measure.report(get(f"C{n}"), now=T0 + days(30)).arms if not a.holdout).lift
             for n in range(1, 21)]
    assert all(lift.enough for lift in lifts)
    # At the 5% level about 1 in 20 splits is "significant" by chance; 4 or more of 20
    # would happen with probability about 1.6%.
    assert sum(lift.significant for lift in lifts) <= 3, [round(lift.p_value, 3) for lift in lifts]
    assert sum(lift.absolute_ci[0] < 0 < lift.absolute_ci[1] for lift in lifts) >= 16
