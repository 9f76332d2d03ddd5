"""Waits for our own token bucket are no delivery attempts: a row the rate limit deferred
any number of times is still sent, as its first attempt. Real Redis bucket, the fake WeChat API."""
from __future__ import annotations

import pytest
import time_machine

from extensions import get_redis
from jobs import notify
from jobs.notify import deliver
from tests.factories import make_member
from tests.notices.world import MORNING, add, deliveries, row, work

BUCKET = "wechat:bucket:wechat"


@pytest.fixture
def app_config(app_config):
    app_config.update(WECHAT_CALL_RATE=0.0001)  # burst 1: one call, then (in practice) none
    return app_config


def test_a_row_throttled_more_often_than_the_attempts_allow_is_still_sent(app, fake_wechat, monkeypatch):
    monkeypatch.setattr(notify, "THROTTLE_WAIT", 0.0)  # defer at once instead of waiting 30 s
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(MORNING, tick=False) as traveller:
        notify._throttle().take("wechat", 1)  # the bucket's one token: now empty
        oid = add("points_expiring", {"points": 10, "expires_on": "2027-01-31", "days": 7}, ming)
        work()
        for _ in range(9):  # more waits than MAX_ATTEMPTS (8)
            assert (row(oid).status, row(oid).attempts) == ("pending", 0)
            traveller.shift(6)
            deliver([oid])
        assert fake_wechat.template_messages == []
        get_redis().delete(BUCKET)  # the bucket refills
        traveller.shift(6)
        deliver([oid])
    log = deliveries(oid)
    assert [(d.outcome, d.reason, d.attempt) for d in log[:-1]] == [("retry", "rate_limit", 1)] * 10
    assert (log[-1].outcome, log[-1].attempt) == ("sent", 1)
    assert (row(oid).status, row(oid).attempts) == ("sent", 1)
    assert len(fake_wechat.template_messages) == 1
