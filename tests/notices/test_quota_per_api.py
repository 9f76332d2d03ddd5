"""WeChat's daily quota is per API: a spent template quota holds template messages until
the next day and nothing else; the call rate is one bucket for every WeChat call.
Real Redis, RQ worker and the fake WeChat API."""
from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from bot.channels.throttle import Throttle
from extensions import db, get_redis
from jobs.notify import notify_queue, sweep
from loyalty.policy import BUSINESS_TZ
from models import NoticeAcceptance
from tests.factories import make_member, sms_codes
from tests.notices.world import MORNING, add, consent_to_marketing, deliveries, row, utc, work, wrote_now


@pytest.fixture
def app_config(app_config):
    app_config.update(NOTIFY_SWEEP_GRACE=0, WECHAT_DAILY_QUOTA=1)
    return app_config


def test_a_spent_template_quota_holds_only_template_messages(app, fake_wechat, runner):
    ming = make_member("13800000001", openid="o-ming")
    hong = make_member("13800000002", openid="o-hong")
    consent_to_marketing(ming)
    consent_to_marketing(hong)
    db.session.add(NoticeAcceptance(openid="o-ming", member_id=ming.id, template_id="SUB_INSPECTION"))
    db.session.commit()
    fake_wechat.accept("o-ming", "SUB_INSPECTION")
    with time_machine.travel(MORNING, tick=True) as traveller:
        first = add("balance_low", {"balance_fen": 100, "threshold_fen": 5000, "sale_id": None}, ming)
        work()  # the day's one template message
        assert row(first).status == "sent"
        wrote_now("o-ming")
        ids = {"template": add("points_expiring", {"points": 10, "expires_on": "2027-01-31", "days": 7}, ming),
               "subscribe": add("inspection", {"plate": "粤B12345", "due_on": "2027-02-10"}, ming),
               "custom": add("birthday", {"coupon_id": None}, ming),
               "sms": add("recall", {"coupon_id": None, "days_since_visit": 40}, hong)}
        notify_queue().empty()  # their own jobs were lost: the sweeper must find them
        traveller.shift(1)
        assert sweep()["enqueued"] == 4
        work()
    assert {k: (d.channel, d.outcome, d.reason) for k, oid in ids.items() for d in deliveries(oid)} == {
        "template": ("template", "retry", "quota"), "subscribe": ("subscribe", "sent", None),
        "custom": ("custom", "sent", None), "sms": ("sms", "sent", None)}
    midnight = datetime(2027, 1, 6, 0, 0, tzinfo=BUSINESS_TZ)
    assert row(ids["template"]).next_attempt_at == utc(midnight)
    assert len(fake_wechat.template_messages) == 1
    assert len(fake_wechat.subscribe_messages) == 1 and len(fake_wechat.custom_messages) == 1
    assert len(sms_codes(runner, "13800000002")) == 1


def test_one_rate_bucket_for_every_call_and_the_quota_counts_only_its_api(app):
    throttle = Throttle(get_redis(), rate_per_second=0.001, daily_quota=10, burst=5)
    assert throttle.take("wechat", 3, max_wait=0).granted == 3                 # customer service: no quota
    assert throttle.quota_left("template") == 10
    grant = throttle.take("wechat", 3, max_wait=0, quota_api="template")      # the same bucket: 2 left
    assert (grant.granted, grant.over_quota) == (2, 0)
    assert throttle.quota_left("template") == 8
    get_redis().delete("wechat:bucket:wechat")
    quota = Throttle(get_redis(), rate_per_second=0.001, daily_quota=3, burst=5)  # 2 used of 3
    grant = quota.take("wechat", 3, max_wait=0, quota_api="template")
    assert (grant.granted, grant.over_quota) == (1, 2)
    assert quota.take("wechat", 2, max_wait=0).granted == 2                    # the quota does not hold them
