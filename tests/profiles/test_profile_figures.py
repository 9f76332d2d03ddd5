"""A member's profile worked out by hand, on PostgreSQL and SQLite: visits in each window
(as of the start of the Shanghai day), the Shanghai weekday and hour (where UTC would say
Sunday 23:00), the median interval, the favourite grade's tie-break, the shop share; who
gets no row; a rerun the same day changes nothing."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from loyalty import demo
from loyalty.books.ledger import as_utc
from loyalty.people.erasure import erase_member
from loyalty.till import refunds
from tests.factories import make_member
from tests.profiles.world import bare_sales, profiles, run, sale, tags
from tests.reminders.world import shanghai


def regular(phone: str = "13900000001"):
    """The worked example's member; the run is on Wednesday 2 December 2026, 10:00 Shanghai."""
    member = make_member(phone, consent=True)
    sale(member, "2026-11-01", "12:00", "92", 30)                 # Sunday noon; 31 days before the run
    sale(member, "2026-11-02", "07:30", "92", 40)                 # Monday 07:30 (UTC: Sunday 23:30)
    sale(member, "2026-11-09", "07:50", "95", 30)                 # Monday 07:50 (UTC: Sunday 23:50)
    sale(member, "2026-11-13", "19:45", "95", 40, shop_fen=2000)  # Friday, with 20 yuan of drinks
    sale(member, "2026-11-23", "07:30", "98", 20)                 # Monday 07:30 (UTC: Sunday 23:30)
    refunded = sale(member, "2026-11-20", "12:00", "92", 50)      # refunded in full: no visit (but a day there)
    refunds.refund(refunded.id, "R1", now=shanghai("2026-11-21"))
    sale(member, "2026-12-02", "08:00", "92", 10)                 # today: after the run's cut-off
    return member


def test_the_worked_example(any_app):
    demo.seed()
    member = regular()
    done = run("2026-12-02")
    p = profiles()[member.id]
    # Visit days 1, 2, 9, 13, 23 November; the 30-day window starts on 2 November.
    assert (p.visits_30d, p.visits_90d, p.visits_365d) == (4, 5, 5)
    # 5 visits x 30 / 31 days since the first = 4.838..., floored to hundredths.
    assert p.visits_per_month == Decimal("4.83")
    # 30 + 40 + 30 + 40 + 20 litres over 5 visits.
    assert (p.avg_litres_ml, p.litres_365d_ml) == (32000, 160000)
    # 22950 + 30600 + 24540 + (32720 + 2000) + 18120 fen paid.
    assert p.amount_365d_fen == 130930
    # 92# and 95# both 70 litres: the lower code as text wins (95# came later, 98# has 20).
    assert p.favourite_grade == "92"
    # Three Mondays (UTC would see Sundays); three visits at 07:xx (UTC: 23:xx).
    assert (p.favourite_weekday, p.favourite_hour) == (0, 7)
    assert p.weekend_share_permille == 200  # 1 Sunday of 5
    assert p.shop_share_permille == 15      # 2000 x 1000 / 130930 = 15.27
    # Days there 1, 2, 9, 13, 20 (the refunded sale: it counts, as for recall), 23: intervals
    # 1, 7, 4, 7, 3; sorted 1, 3, 4, 7, 7: median 4.
    assert p.median_interval_days == Decimal("4")
    assert p.days_since_last_visit == 9
    assert (as_utc(p.first_visit_at), as_utc(p.last_visit_at)) == (shanghai("2026-11-01", "12:00"),
                                                                   shanghai("2026-11-23", "07:30"))
    # Alone in the window: every score 1 (no one worse); first visit more than 30 days ago.
    assert (p.r_score, p.f_score, p.m_score, p.rfm_segment) == (1, 1, 1, "hibernating")
    assert done.members == 1


def test_ties_break_to_the_earliest_weekday_and_hour_and_the_lower_grade_code(any_app):
    demo.seed()
    member = make_member("13900000002", consent=True)
    sale(member, "2026-11-24", "18:10", "0", 60)   # Tuesday 18:00
    sale(member, "2026-11-26", "09:20", "92", 60)  # Thursday 09:00
    sale(member, "2026-11-29", "12:00", "95", 60)  # Sunday 12:00
    run("2026-12-02")
    p = profiles()[member.id]
    # One visit each on Tuesday, Thursday, Sunday; at 18, 9, 12 h; 60 L each of 0#, 92#, 95#.
    assert (p.favourite_weekday, p.favourite_hour, p.favourite_grade) == (1, 9, "0")
    assert p.median_interval_days == Decimal("2.5")  # intervals 2 and 3
    assert p.shop_share_permille == 0


def test_who_gets_a_row(any_app):
    demo.seed()
    never = make_member("13900000003", consent=True)
    gone = make_member("13900000004", consent=True)
    erased = make_member("13900000005", consent=True)
    bare_sales([(gone.id, shanghai("2025-10-28", "08:00"), 40000, 30000),  # 400 days before the run
                (erased.id, shanghai("2026-11-30", "08:00"), 40000, 30000)])
    run("2026-12-01")
    assert erased.id in profiles()
    erase_member(erased.id)  # the profile goes with the rest of the personal data
    assert erased.id not in profiles()
    run("2026-12-02")
    rows = profiles()
    assert never.id not in rows and erased.id not in rows
    p = rows[gone.id]
    # Outside the window: no visits, no averages or favourites, no scores, lost.
    assert (p.visits_365d, p.visits_per_month, p.avg_litres_ml, p.favourite_weekday, p.favourite_hour) == \
        (0, Decimal("0"), None, None, None)
    # Bare rows carry no lines: no grade, no shop share (the data lacks them).
    assert (p.favourite_grade, p.shop_share_permille, p.median_interval_days) == (None, None, None)
    assert (p.days_since_last_visit, p.r_score, p.rfm_segment) == (400, None, "lost")


def test_a_rerun_the_same_day_gives_the_same_rows(any_app):
    demo.seed()
    regular()
    other = make_member("13900000006", consent=True)
    sale(other, "2026-11-30", "08:00", "0", 150)
    run("2026-12-02", "00:30")
    first = {m: {c: getattr(p, c) for c in p.__table__.columns.keys() if c != "computed_at"}
             for m, p in profiles().items()}
    first_tags = tags()
    assert first_tags  # the long-haul rule holds for `other` (150 litres of diesel)
    sale(other, "2026-12-02", "09:00", "0", 10)  # today's visit: not counted until tomorrow
    run("2026-12-02", "23:50")
    again = {m: {c: getattr(p, c) for c in p.__table__.columns.keys() if c != "computed_at"}
             for m, p in profiles().items()}
    assert again == first and tags() == first_tags
    assert {as_utc(p.computed_at) for p in profiles().values()} == {shanghai("2026-12-02", "23:50")}
    # The next day, the morning visit counts.
    run("2026-12-03")
    assert profiles()[other.id].visits_30d == 2 and profiles()[other.id].days_since_last_visit == 1
    assert timedelta(0) == as_utc(profiles()[other.id].last_visit_at) - shanghai("2026-12-02", "09:00")


def test_sales_before_the_window_count_for_no_weekday_or_hour(any_app):
    demo.seed()
    member = make_member("13900000007", consent=True)
    bare_sales([(member.id, shanghai("2025-11-22", "20:00"), 40000, 30000),  # Saturdays 20:00, before the
                (member.id, shanghai("2025-11-29", "20:00"), 40000, 30000),  # window (from 2 December 2025)
                (member.id, shanghai("2026-11-27", "08:00"), 40000, 30000)])  # Friday 08:00, in it
    run("2026-12-02")
    p = profiles()[member.id]
    # Only Friday's visit counts: Saturday and 20 h (two sales each) would win if the old ones did.
    assert (p.visits_365d, p.favourite_weekday, p.favourite_hour, p.weekend_share_permille) == (1, 4, 8, 0)
    assert as_utc(p.first_visit_at) == shanghai("2025-11-22", "20:00")  # first visit ever, not in the window
