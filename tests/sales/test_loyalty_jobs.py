"""The periodic loyalty jobs, run by a real RQ worker."""
from datetime import datetime, timedelta, timezone

from rq import SimpleWorker
from sqlalchemy import select

from extensions import db
from jobs import loyalty as loyalty_jobs
from jobs import queue
from loyalty.benefits import coupons
from loyalty import demo
from loyalty.people import members
from loyalty.books import points
from models import Coupon


def test_expiry_jobs_run_through_a_worker(app):
    demo.seed()
    member = members.create_member("13900000077", consent=True)
    long_ago = datetime(2020, 1, 15, tzinfo=timezone.utc)
    points.earn(members.account_of(member, "points"), 120, key="old", cause_type="adjustment", now=long_ago)
    coupon = coupons.issue(member, "FULL200_20", key="c-old", now=datetime.now(timezone.utc) - timedelta(days=90))
    db.session.commit()
    q = queue()
    jobs = [q.enqueue(loyalty_jobs.expire_points), q.enqueue(loyalty_jobs.expire_coupons),
            q.enqueue(loyalty_jobs.review_tiers)]
    SimpleWorker([q], connection=q.connection).work(burst=True)
    assert [j.get_status(refresh=True) for j in jobs] == ["finished"] * 3
    assert jobs[0].return_value() == 1
    db.session.expire_all()
    assert members.account_of(member, "points").balance == 0
    assert db.session.scalars(select(Coupon.status).where(Coupon.id == coupon.id)).one() == "expired"
