"""Birthdays (a coupon and a notice once a year) and vehicle inspection reminders (the
schedule worked through by hand, and the rows 30 days ahead)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from jobs import notices
from loyalty import demo
from loyalty.reminders import birthdays, inspection
from loyalty.policy import Policy
from models import Coupon, CouponTemplate
from tests.factories import make_member
from tests.reminders.world import consenting, erased, on, rows, shanghai


def birthday_coupons(member) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(c.issue_key, c.source, c.template.code) for c in
            db.session.scalars(select(Coupon).where(Coupon.member_id == member.id).order_by(Coupon.id))]


def test_a_birthday_gets_one_coupon_and_one_notice_and_a_rerun_nothing_more(any_app):
    demo.seed()
    member = consenting("13900000021", birthday=date(1990, 12, 3))
    consenting("13900000022", birthday=date(1990, 12, 4))  # tomorrow
    assert on("2026-12-02", notices.birthdays) == 0
    assert on("2026-12-03", notices.birthdays) == 1
    assert birthday_coupons(member) == [(f"birthday:2026:{member.id}", "birthday", "BIRTHDAY")]
    coupon_id = db.session.scalars(select(Coupon.id).where(Coupon.member_id == member.id)).one()
    assert rows("birthday") == [(f"birthday:2026:{member.id}", member.id, {"coupon_id": coupon_id})]
    assert on("2026-12-03", notices.birthdays, at="15:00") == 0
    assert len(birthday_coupons(member)) == 1


def test_a_birthday_moved_later_in_the_year_gets_nothing_more_until_next_year(any_app):
    demo.seed()
    member = consenting("13900000023", birthday=date(1990, 3, 1))
    assert on("2026-03-01", notices.birthdays) == 1
    member.birthday = date(1990, 12, 20)  # an operator's correction
    db.session.commit()
    assert on("2026-12-20", notices.birthdays) == 0
    assert on("2027-12-20", notices.birthdays) == 1
    assert [key for key, _, _ in birthday_coupons(member)] == [f"birthday:2026:{member.id}",
                                                                f"birthday:2027:{member.id}"]


def test_29_february_is_celebrated_on_28_february_in_other_years(any_app):
    demo.seed()
    leap = consenting("13900000024", birthday=date(2000, 2, 29))
    assert on("2027-02-28", notices.birthdays) == 1
    assert on("2028-02-28", notices.birthdays) == 0  # 2028 has its own 29th
    assert on("2028-02-29", notices.birthdays) == 1
    assert [m for _, m, _ in rows("birthday")] == [leap.id, leap.id]


def test_without_a_template_the_notice_goes_out_without_a_coupon(any_app):
    member = consenting("13900000025", birthday=date(1985, 6, 1))
    assert birthdays.write_due(now=shanghai("2026-06-01"), policy=Policy(birthday_coupon_template=None)) == 1
    assert rows("birthday")[0][2] == {"coupon_id": None}
    assert birthday_coupons(member) == []


def test_an_inactive_template_gives_no_coupon_either(any_app):
    demo.seed()
    db.session.scalars(select(CouponTemplate).where(CouponTemplate.code == "BIRTHDAY")).one().active = False
    db.session.commit()
    consenting("13900000026", birthday=date(1985, 6, 1))
    assert on("2026-06-01", notices.birthdays) == 1
    assert rows("birthday")[0][2] == {"coupon_id": None}


def test_erased_and_unconsenting_members_have_no_birthday_here(any_app):
    demo.seed()
    gone = consenting("13900000027", birthday=date(1990, 12, 3))
    erased(gone)
    make_member("13900000028", birthday=date(1990, 12, 3))
    assert on("2026-12-03", notices.birthdays) == 0
    assert db.session.scalar(select(Coupon.id)) is None


# --- inspection -------------------------------------------------------------------------

def test_the_inspection_schedule_of_a_car_registered_on_15_march_2020():
    due = inspection.due_dates(date(2020, 3, 15), until=date(2037, 3, 15))
    assert due == [(date(2026, 3, 15), "online"), (date(2030, 3, 15), "online"),
                   (date(2031, 3, 15), "on_site"), (date(2032, 3, 15), "on_site"),
                   (date(2033, 3, 15), "on_site"), (date(2034, 3, 15), "on_site"),
                   (date(2035, 3, 15), "on_site"), (date(2035, 9, 15), "on_site"),
                   (date(2036, 3, 15), "on_site"), (date(2036, 9, 15), "on_site"),
                   (date(2037, 3, 15), "on_site")]


def test_a_29_february_registration_is_due_on_28_february_and_half_years_keep_the_month_end():
    assert inspection.due_dates(date(2016, 2, 29), until=date(2026, 12, 31)) == [
        (date(2022, 2, 28), "online"), (date(2026, 2, 28), "online")]
    assert inspection.add_months(date(2010, 8, 31), 6) == date(2011, 2, 28)


@pytest.mark.parametrize("due_on", [date(2026, 3, 15), date(2026, 2, 28), date(2028, 2, 29), date(2026, 9, 30)])
def test_registrations_due_on_is_the_inverse_of_the_schedule(due_on):
    found = inspection.registrations_due_on(due_on)
    assert found and all(due_on in [d for d, _ in inspection.due_dates(r, due_on)] for r in found)
    # Every registration date of the 60 years before: due that day exactly when listed.
    for offset in range(0, 60 * 366, 7):
        registered = date.fromordinal(due_on.toordinal() - offset)
        assert (registered in found) == (due_on in [d for d, _ in inspection.due_dates(registered, due_on)])


def test_inspection_reminders_go_out_30_days_before_a_due_date(any_app):
    sixth = consenting("13900000031", plate="浙A12345", vehicle_registered_on=date(2020, 3, 15))
    eleventh = consenting("13900000032", vehicle_registered_on=date(2015, 3, 15))  # no plate known
    half = consenting("13900000033", plate="浙B00001", vehicle_registered_on=date(2010, 9, 15))  # 15.5 years
    consenting("13900000034", vehicle_registered_on=date(2019, 3, 15))  # 7th year: nothing due
    consenting("13900000035", identity="taxi", vehicle_registered_on=date(2020, 3, 15))  # not a private car
    consenting("13900000036")  # no registration date
    assert on("2026-02-12", notices.inspection) == 0
    assert on("2026-02-13", notices.inspection) == 3  # due 2026-03-15
    assert rows("inspection") == [
        (f"inspection:{sixth.id}:2026-03-15", sixth.id, {"due_on": "2026-03-15", "plate": "浙A12345"}),
        (f"inspection:{eleventh.id}:2026-03-15", eleventh.id, {"due_on": "2026-03-15", "plate": ""}),
        (f"inspection:{half.id}:2026-03-15", half.id, {"due_on": "2026-03-15", "plate": "浙B00001"})]
    assert on("2026-02-13", notices.inspection, at="20:00") == 0


def test_a_plate_with_a_quote_still_makes_valid_json(any_app):
    member = consenting("13900000037", plate='浙A"1\\2', vehicle_registered_on=date(2020, 3, 15))
    assert on("2026-02-13", notices.inspection) == 1
    assert rows("inspection")[0][2] == {"due_on": "2026-03-15", "plate": '浙A"1\\2'}
    erased(member)
    db.session.expire_all()
    assert (member.vehicle_registered_on, member.plate) == (None, None)  # erasure forgets the car too
    assert on("2026-02-13", notices.inspection, at="21:00") == 0
