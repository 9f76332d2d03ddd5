"""Coupons on both databases: issuing, windows, use, refunds, expiry and counts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import coupons
from loyalty.errors import CouponNotApplicable, DuplicateConflict, NotFound, ValidationError
from loyalty.books.ledger import as_utc
from loyalty.people.members import create_member
from models import Coupon, CouponTemplate, Member, Sale, Station

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


def make_member(phone: str = "13800000001") -> Member:
    """A member with empty accounts."""
    member = create_member(phone)
    return member


def make_template(code: str = "MJ20", **fields) -> CouponTemplate:
    values = dict(name="满200减20", kind="amount_off", amount_fen=2000, min_spend_fen=20000, valid_days=7)
    template = CouponTemplate(code=code, **{**values, **fields})
    db.session.add(template)
    db.session.flush()
    return template


def make_sale(member: Member, txn: str = "T1") -> Sale:
    station = db.session.scalars(select(Station).where(Station.code == "S1")).first()
    if station is None:
        station = Station(code="S1", name="一号站")
        db.session.add(station)
        db.session.flush()
    sale = Sale(station_id=station.id, pos_txn_no=txn, request_hash="h", member_id=member.id,
                gross_fen=30600, discount_fen=0, payable_fen=30600)
    db.session.add(sale)
    db.session.flush()
    return sale


def test_a_coupon_is_valid_until_the_end_of_the_business_day_n_days_after_issue(any_app):
    member = make_member()
    make_template()
    c = coupons.issue(member, "MJ20", key="k1", now=NOW)
    assert (c.status, c.source) == ("issued", "manual")
    assert as_utc(c.valid_from) == NOW
    # Issued Monday 2 March; 7 days later is Monday 9 March; valid until its end in Shanghai.
    assert as_utc(c.valid_until) == datetime(2026, 3, 9, 16, 0, tzinfo=timezone.utc)


def test_a_fixed_window_is_the_window_and_clips_a_relative_one(any_app):
    member = make_member()
    start, end = NOW + timedelta(days=1), NOW + timedelta(days=3)
    make_template("FIXED", valid_days=None, valid_from=start, valid_until=end)
    make_template("CLIP", valid_days=30, valid_until=end)
    fixed = coupons.issue(member, "FIXED", key="k1", now=NOW)
    clipped = coupons.issue(member, "CLIP", key="k2", now=NOW)
    assert (as_utc(fixed.valid_from), as_utc(fixed.valid_until)) == (start, end)
    assert (as_utc(clipped.valid_from), as_utc(clipped.valid_until)) == (NOW, end)
    with pytest.raises(ValidationError):
        coupons.issue(member, "FIXED", key="k3", now=end)


def test_issue_is_idempotent_on_its_key(any_app):
    member, other = make_member(), make_member("13800000002")
    make_template()
    first = coupons.issue(member, "MJ20", key="campaign:9:member:1", source="campaign", now=NOW)
    again = coupons.issue(member, "MJ20", key="campaign:9:member:1", source="campaign", now=NOW + timedelta(hours=1))
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Coupon)) == 1
    with pytest.raises(DuplicateConflict):
        coupons.issue(other, "MJ20", key="campaign:9:member:1", now=NOW)


def test_unknown_and_inactive_templates_issue_nothing(any_app):
    member = make_member()
    make_template(active=False)
    with pytest.raises(NotFound):
        coupons.issue(member, "NOPE", key="k1", now=NOW)
    with pytest.raises(ValidationError):
        coupons.issue(member, "MJ20", key="k2", now=NOW)
    assert db.session.scalar(select(func.count()).select_from(Coupon)) == 0


def test_usable_lists_live_coupons_for_the_station_soonest_expiry_first(any_app):
    member = make_member()
    make_template("LONG", valid_days=30)
    make_template("SHORT", valid_days=1)
    make_template("ELSEWHERE", stations="S2")
    make_template("LATER", valid_days=None, valid_from=NOW + timedelta(days=2), valid_until=NOW + timedelta(days=9))
    long_, short = coupons.issue(member, "LONG", key="a", now=NOW), coupons.issue(member, "SHORT", key="b", now=NOW)
    coupons.issue(member, "ELSEWHERE", key="c", now=NOW)
    coupons.issue(member, "LATER", key="d", now=NOW)
    assert [c.id for c in coupons.usable(member, "S1", now=NOW)] == [short.id, long_.id]
    assert len(coupons.usable(member, None, now=NOW)) == 3


def test_use_marks_a_coupon_used_once(any_app):
    member = make_member()
    make_template()
    c = coupons.issue(member, "MJ20", key="k1", now=NOW)
    sale, other_sale = make_sale(member, "T1"), make_sale(member, "T2")
    [used] = coupons.use([c.id], member, sale.id, now=NOW)
    assert (used.status, used.used_sale_id, as_utc(used.used_at)) == ("used", sale.id, NOW)
    assert coupons.use([c.id], member, sale.id, now=NOW)[0].id == c.id  # a retried commit
    with pytest.raises(CouponNotApplicable) as e:
        coupons.use([c.id], member, other_sale.id, now=NOW)
    assert e.value.details["reason"] == "used"


def test_use_refuses_someone_elses_or_an_expired_coupon(any_app):
    member, other = make_member(), make_member("13800000002")
    make_template()
    mine = coupons.issue(member, "MJ20", key="k1", now=NOW)
    sale = make_sale(other)
    with pytest.raises(CouponNotApplicable) as e:
        coupons.use([mine.id], other, sale.id, now=NOW)
    assert e.value.details["reason"] == "not_yours"
    with pytest.raises(CouponNotApplicable) as e:
        coupons.use([mine.id], member, sale.id, now=NOW + timedelta(days=8))
    assert e.value.details["reason"] == "expired"
    assert db.session.get(Coupon, mine.id).status == "issued"


def test_a_refund_gives_back_a_coupon_still_valid_but_not_an_expired_one(any_app):
    member = make_member()
    make_template("WEEK", valid_days=7)
    make_template("DAY", valid_days=0)
    week, day = coupons.issue(member, "WEEK", key="a", now=NOW), coupons.issue(member, "DAY", key="b", now=NOW)
    sale = make_sale(member)
    coupons.use([week.id, day.id], member, sale.id, now=NOW)
    restored = coupons.restore(sale.id, now=NOW + timedelta(days=2))
    assert restored == [week.id]
    db.session.expire_all()
    assert (week.status, week.used_sale_id, week.used_at) == ("issued", None, None)
    assert day.status == "used"
    assert coupons.restore(sale.id, now=NOW + timedelta(days=2)) == []  # once only
    assert coupons.restore(sale.id, policy="keep") == []


def test_expire_due_expires_every_issued_coupon_past_its_window(any_app):
    member = make_member()
    make_template("DAY", valid_days=0)
    make_template("WEEK", valid_days=7)
    day, week = coupons.issue(member, "DAY", key="a", now=NOW), coupons.issue(member, "WEEK", key="b", now=NOW)
    assert coupons.expire_due(NOW + timedelta(days=1)) == 1
    assert coupons.expire_due(NOW + timedelta(days=1)) == 0
    db.session.expire_all()
    assert (day.status, week.status) == ("expired", "issued")


def test_counts_of_one_template(any_app):
    member = make_member()
    make_template()
    issued = [coupons.issue(member, "MJ20", key=f"k{n}", now=NOW) for n in range(4)]
    coupons.use([issued[0].id], member, make_sale(member).id, now=NOW)
    later = NOW + timedelta(days=10)
    coupons.expire_due(later - timedelta(days=1))
    coupons.issue(member, "MJ20", key="k-late", now=later)
    assert coupons.counts("MJ20", now=later) == {"issued": 5, "used": 1, "expired": 3, "void": 0, "outstanding": 1}
    assert coupons.counts("NOPE") == {"issued": 0, "used": 0, "expired": 0, "void": 0, "outstanding": 0}
