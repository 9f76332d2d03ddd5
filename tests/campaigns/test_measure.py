"""The report of a campaign, worked by hand over a small world on both databases: only
sales inside each member's window count (not before the entry, not after its end), the
holdout from the same moment; conversions by day; coupon cost; incremental figures."""
from __future__ import annotations

from sqlalchemy import select

from extensions import db
from loyalty import demo
from loyalty.campaigns import measure
from loyalty.campaigns.lifecycle import get
from models import Coupon, Sale
from tests.campaigns.world import arms_of, campaign, days, launch, segment
from tests.factories import fuel_sale, make_member
from tests.reminders.world import shanghai

T0 = shanghai("2026-11-02", "10:00")


def world(**form):
    demo.seed()
    for n in range(12):
        make_member(f"1390000{n:04d}", consent=True)
    segment("ALL", [{"filter": "identity", "values": ["private"]}])
    campaign(holdout_pct="50", window_days="14", arms=[{"code": "A", "weight": 1, "coupon": "RECALL",
                                                         "message": "回来加油"}], **form)
    launch(now=T0)
    return sorted(arms_of("C1").items())


def shop(entered, *, use_coupon: bool):
    """Member k (in id order): k % 3 == 0 fuels on day 1 (with the campaign's coupon in
    arm A when asked), k % 3 == 1 the day before the entry and on day 15 (outside), else
    nothing. Returns {arm: [payable of the sales inside the window]}."""
    inside: dict[str, list[int]] = {"A": [], "holdout": []}
    for k, (member_id, arm) in enumerate(entered):
        member = db.session.get(type(demo.demo_member()), member_id)
        if k % 3 == 0:
            coupons = []
            if use_coupon and arm == "A":
                coupons = [db.session.scalars(select(Coupon.id).where(Coupon.member_id == member_id)).one()]
            from loyalty.till import sales
            from loyalty.till.pricing import FuelLine
            sale = sales.commit("S001", f"M{member_id}", [FuelLine(grade="92", litres_ml=30000, unit_price_fen=765)],
                                member_id=member_id, coupon_ids=coupons, now=T0 + days(1)).sale
            inside[arm].append(sale.payable_fen)
        elif k % 3 == 1:
            fuel_sale(member, "20", at=T0 - days(1), txn=f"B{member_id}")
            fuel_sale(member, "20", at=T0 + days(15), txn=f"L{member_id}")
    return inside


def test_visits_litres_amount_and_coupon_cost_inside_the_window(any_app):
    entered = world()
    arms = {a for _, a in entered}
    assert arms == {"A", "holdout"}
    inside = shop(entered, use_coupon=True)
    report = measure.report(get("C1"), now=T0 + days(30))
    by = {a.code: a for a in report.arms}
    for code in ("A", "holdout"):
        members = [m for m, a in entered if a == code]
        converted = [k for k, (m, a) in enumerate(entered) if a == code and k % 3 == 0]
        arm = by[code]
        assert (arm.members, arm.conversions) == (len(members), len(converted))
        assert arm.litres_ml == 30000 * len(converted) and arm.amount_fen == sum(inside[code])
        # Day 0 nobody, from day 1 on every converter; 14 days in the window.
        assert arm.by_day == [0] + [len(converted)] * 13
    a, holdout = by["A"], by["holdout"]
    used = len(inside["A"])
    assert (a.coupons_issued, a.coupons_used, a.coupon_cost_fen) == (a.members, used, 1500 * used)
    assert (holdout.coupons_issued, holdout.coupon_cost_fen) == (0, 0)
    expected = a.amount_fen - round(holdout.amount_fen * a.members / holdout.members)
    assert a.incremental_fen == expected and a.net_incremental_fen == expected - 1500 * used
    assert a.lift is not None and not a.lift.enough and "样本太小" in a.lift.verdict
    assert report.open_windows == 0


def test_a_sale_over_an_amount_counts_only_above_it(any_app):
    entered = world(conversion="sale_over", min_amount_fen="30000")
    shop(entered, use_coupon=False)  # day-1 sales of 30 L are about 229 yuan: below 300
    by = {a.code: a for a in measure.report(get("C1"), now=T0 + days(30)).arms}
    assert by["A"].conversions == 0 and by["holdout"].conversions == 0
    assert by["A"].litres_ml > 0  # the litres still count


def test_the_coupon_used_conversion_has_no_holdout_rate(any_app):
    entered = world(conversion="coupon_used")
    inside = shop(entered, use_coupon=True)
    report = measure.report(get("C1"), now=T0 + days(30))
    by = {a.code: a for a in report.arms}
    assert by["A"].conversions == len(inside["A"]) and by["holdout"].conversions is None
    assert by["A"].lift is None and "对照组没有券" in report.note


def test_an_open_window_is_said(any_app):
    world()
    report = measure.report(get("C1"), now=T0 + days(3))
    assert report.open_windows == sum(a.members for a in report.arms) and "观察期未结束" in report.note
    assert db.session.scalar(select(Sale.id).limit(1)) is None
