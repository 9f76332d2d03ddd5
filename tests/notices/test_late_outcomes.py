"""Outcomes that come too late: a worker whose lease ran out writes nothing over the row
someone else now holds, and a template resend is refused once WeChat's client_msg_id
window (10 minutes) may have closed, measured when the resend would go."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from bot.channels import get
from bot.wechat import get_client
from jobs.notify import deliver, notify_queue, sweep
from loyalty.notices import delivery
from tests.factories import make_member
from tests.notices.world import MORNING, add, deliveries, row, utc, work, wrote_now


@pytest.fixture
def app_config(app_config):
    app_config.update(NOTIFY_SWEEP_GRACE=0)
    return app_config


def points(member) -> int:
    oid = add("points_expiring", {"points": 50, "expires_on": "2027-01-31", "days": 7}, member)
    notify_queue().empty()  # the test plays the workers
    return oid


def test_a_late_outcome_does_not_overwrite_the_resend_that_went(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(MORNING, tick=True) as traveller:
        oid = points(ming)
        [slow] = delivery.claim([oid], utc(MORNING))   # a worker that stalls past its lease
        traveller.shift(61)
        assert sweep()["resend"] == 1
        work()                                          # the resend goes: attempt 2
        assert (row(oid).status, row(oid).attempts) == ("sent", 2)
        # The stalled worker's call finally times out: its outcome is for attempt 1.
        delivery.finish([delivery.Result(slow, errcode=None, error="ReadTimeout",
                                         retry_at=utc(MORNING) + timedelta(minutes=2))], utc(MORNING))
        assert row(oid).status == "sent" and row(oid).next_attempt_at is None
        traveller.shift(180)
        sweep()
        work()
    assert [(d.outcome, d.attempt) for d in deliveries(oid)] == [("retry", 1), ("sent", 2)]
    assert len(fake_wechat.template_messages) == 1


def test_an_outcome_for_a_row_reconcile_marked_unknown_is_dropped(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(MORNING, tick=True) as traveller:
        oid = add("inspection", {"plate": "粤B12345", "due_on": "2027-02-10"}, ming)
        wrote_now("o-ming")
        notify_queue().empty()
        [slow] = delivery.claim([oid], utc(MORNING))
        traveller.shift(61)
        assert sweep()["unknown"] == 1
        delivery.finish([delivery.Result(slow, errcode=45015, error="window")], utc(MORNING))
    assert row(oid).status == "unknown"
    assert [(d.outcome, d.reason) for d in deliveries(oid)] == [("unknown", "worker_lost")]


def test_a_template_resend_after_the_dedup_window_is_unknown_not_sent_twice(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(MORNING, tick=True) as traveller:
        oid = points(ming)
        # A worker dies after WeChat took the message, before writing the outcome.
        [notice] = delivery.claim([oid], utc(MORNING))
        get("template").call(get_client(), get("template").payload(notice, app.config))
        traveller.shift(61)
        assert sweep()["resend"] == 1  # inside 9 minutes when reconcile looks
        notify_queue().empty()         # ... but its job is lost in a backlog
        traveller.shift(10 * 60)       # 11 minutes after the intent: WeChat no longer dedups
        assert sweep()["enqueued"] == 1
        work()
    assert len(fake_wechat.template_messages) == 1
    assert row(oid).status == "unknown"
    assert [(d.channel, d.outcome, d.reason) for d in deliveries(oid)] == [
        ("template", "retry", "worker_lost"), ("template", "unknown", "dedup_expired")]


def test_a_template_resend_inside_the_window_still_goes(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(MORNING, tick=True) as traveller:
        oid = points(ming)
        delivery.claim([oid], utc(MORNING))
        traveller.shift(61)
        sweep()
        notify_queue().empty()
        traveller.shift(7 * 60)  # 8 minutes after the intent
        sweep()
        work()
    assert row(oid).status == "sent" and len(fake_wechat.template_messages) == 1


def test_each_notice_of_a_batch_carries_its_own_attempt(app, fake_wechat):
    """A retried row claimed with a skipped one: its outcome and its backoff are its own
    attempt's (the notices once took the batch's last row's count: 0 for a skipped row)."""
    ming = make_member("13800000001", openid="o-ming")
    hong = make_member("13800000002", openid="o-hong")
    with time_machine.travel(MORNING, tick=False) as traveller:
        fake_wechat.fail("/cgi-bin/message/template/send", -1, times=2)
        retried = points(ming)
        deliver([retried])
        traveller.shift(31)
        skipped = add("birthday", {"coupon_id": None}, hong)  # marketing, never consented: skipped
        notify_queue().empty()
        deliver([retried, skipped])  # attempt 2 fails too: backoff(2) is a minute
        assert (row(retried).status, row(retried).attempts) == ("pending", 2)
        assert row(retried).next_attempt_at == utc(MORNING) + timedelta(seconds=31 + 60)
        assert row(skipped).status == "skipped"
        traveller.shift(61)
        deliver([retried])
    assert [(d.outcome, d.attempt) for d in deliveries(retried)] == [("retry", 1), ("retry", 2), ("sent", 3)]
    assert len(fake_wechat.template_messages) == 1
