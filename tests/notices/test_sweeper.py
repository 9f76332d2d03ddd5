"""The sweeper: deferred rows when they fall due, rows Redis never got, rows a dead
worker left half-sent, the day's quota. Time moves with time-machine."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from extensions import db
from jobs.notify import deliver, notify_queue, sweep
from loyalty import demo
from loyalty.notices import delivery
from loyalty.policy import BUSINESS_TZ
from models import Outbox
from tests.factories import fuel_sale, make_member
from tests.notices.world import MORNING, add, deliveries, row, utc, work, wrote_now

NIGHT = datetime(2027, 1, 5, 23, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
def app_config(app_config):
    app_config.update(NOTIFY_SWEEP_GRACE=0)
    return app_config


def test_quiet_hours_defer_a_tier_change_to_eight_and_the_sweeper_sends_it_then(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(NIGHT, tick=False) as traveller:
        oid = add("tier_up", {"tier": "金卡", "previous": "银卡"}, ming)
        work()
        eight = datetime(2027, 1, 6, 8, 0, tzinfo=BUSINESS_TZ)
        assert row(oid).next_attempt_at == utc(eight)
        assert [(d.outcome, d.reason) for d in deliveries(oid)] == [("deferred", "quiet_hours")]
        traveller.move_to(eight - timedelta(minutes=1))
        assert sweep()["enqueued"] == 0
        traveller.move_to(eight + timedelta(seconds=30))
        assert sweep()["enqueued"] == 1
        work()
    assert row(oid).status == "sent" and len(fake_wechat.template_messages) == 1


def test_redis_down_during_a_sale_the_sale_commits_and_the_receipt_follows(app, app_factory, fake_wechat):
    demo.seed()
    ming = make_member("13800000001", openid="o-ming")
    offline = app_factory(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    with time_machine.travel(MORNING, tick=True):
        with offline.app_context():
            sale = fuel_sale(ming, "20.00", at=utc(MORNING))
            sale_id = sale.id
        db.session.expire_all()
        assert db.session.scalar(select(Outbox.status).where(Outbox.dedup_key == f"receipt:{sale_id}")) == "pending"
        assert notify_queue().count == 0  # the enqueue never happened
        assert sweep()["enqueued"] == 1     # Redis is back: the sweeper finds it
        work()
    [message] = fake_wechat.template_messages
    assert message["template_id"] == "TPL_RECEIPT" and message["data"]["amount3"] == {"value": "¥153.00"}


class _Refusing:
    """A notify queue whose enqueue fails with `error`."""

    def __init__(self, error: Exception):
        self.error = error

    def enqueue_many(self, jobs):
        raise self.error


def test_after_commit_only_a_redis_error_is_passed_over_a_bug_raises(app, monkeypatch):
    import jobs.notify
    from redis.exceptions import ConnectionError as RedisConnectionError
    ming = make_member("13800000001", openid="o-ming")
    monkeypatch.setattr(jobs.notify, "notify_queue", lambda: _Refusing(RedisConnectionError("down")))
    down = add("tier_up", {"tier": "金卡", "previous": "银卡"}, ming)  # Redis down: the commit stands, quietly
    assert row(down).status == "pending"
    monkeypatch.setattr(jobs.notify, "notify_queue", lambda: _Refusing(TypeError("a bug")))
    with pytest.raises(TypeError, match="a bug"):
        add("tier_down", {"tier": "银卡", "previous": "金卡"}, ming)
    db.session.close()  # the hook raised inside the commit: the session is done with
    kinds = db.session.scalars(select(Outbox.kind).order_by(Outbox.id)).all()
    assert kinds == ["tier_up", "tier_down"]  # committed before the hook ran; the bug is not hidden


def test_a_worker_lost_after_wechat_answered_never_sends_twice(app, fake_wechat):
    from bot.channels import get
    from bot.wechat import get_client
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(MORNING, tick=True) as traveller:
        oid = add("points_expiring", {"points": 50, "expires_on": "2027-01-31", "days": 7}, ming)
        notify_queue().empty()
        # What a worker does before it dies: the intent, then WeChat's call; never the outcome.
        [notice] = delivery.claim([oid], utc(MORNING))
        get("template").call(get_client(), get("template").payload(notice, app.config))
        assert row(oid).status == "sending"
        assert sweep() == {"enqueued": 0, "jobs": 0, "resend": 0, "unknown": 0}  # its lease still runs
        traveller.shift(61)
        assert sweep()["resend"] == 1
        work()
    assert len(fake_wechat.template_messages) == 1  # WeChat took the same client_msg_id once
    assert row(oid).status == "sent"
    assert [(d.outcome, d.reason) for d in deliveries(oid)] == [("retry", "worker_lost"), ("sent", None)]


def test_a_lost_customer_service_send_is_marked_unknown_not_sent_again(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(MORNING, tick=True) as traveller:
        wrote_now("o-ming")
        oid = add("inspection", {"plate": "粤B12345", "due_on": "2027-02-10"}, ming)
        notify_queue().empty()
        delivery.claim([oid], utc(MORNING))
        traveller.shift(61)
        assert sweep()["unknown"] == 1
        work()
    assert row(oid).status == "unknown" and fake_wechat.custom_messages == []


def test_the_daily_quota_holds_the_rest_for_the_next_day_in_order(app, fake_wechat):
    app.config["WECHAT_DAILY_QUOTA"] = 3
    members = [make_member(f"1380000000{n}", openid=f"o-{n}") for n in range(5)]
    with time_machine.travel(MORNING, tick=True) as traveller:
        ids = [add("balance_low", {"balance_fen": 100 * n, "threshold_fen": 5000, "sale_id": None}, m)
               for n, m in enumerate(members)]
        notify_queue().empty()
        deliver(ids)  # one chunk of five: three calls left today
        assert [row(i).status for i in ids] == ["sent"] * 3 + ["pending"] * 2
        midnight = datetime(2027, 1, 6, 0, 0, tzinfo=BUSINESS_TZ)
        assert {row(i).next_attempt_at for i in ids[3:]} == {utc(midnight)}
        assert [d.reason for d in deliveries(ids[3])] == ["quota"]
        assert sweep()["enqueued"] == 0  # nothing is due, and the quota is spent anyway
        traveller.move_to(midnight + timedelta(seconds=5))
        assert sweep()["enqueued"] == 2
        work()
    sent = [m["touser"] for m in fake_wechat.template_messages]
    # The first rows went on the first day (a chunk's sends run side by side), the rest the next.
    assert sorted(sent[:3]) == ["o-0", "o-1", "o-2"] and sorted(sent[3:]) == ["o-3", "o-4"]
