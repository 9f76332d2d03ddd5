"""The holdout receives nothing, counted at the fake WeChat API: a campaign's notices go
through the outbox, the sweeper and a real RQ worker, on the channel the policy allows
(marketing: never a template message), each treated member exactly once."""
from __future__ import annotations

from collections import Counter

import pytest
import time_machine

from extensions import db
from jobs.notify import sweep
from loyalty import demo
from tests.campaigns.world import arms_of, campaign, launch, segment
from tests.factories import make_member
from tests.notices.world import MORNING, consent_to_marketing, deliveries, utc, work, wrote_now


@pytest.fixture
def app_config(app_config):
    app_config.update(NOTIFY_SWEEP_GRACE=0, NOTICE_MARKETING_CAP=5)
    return app_config


def test_treated_members_get_one_message_each_and_the_holdout_none(app, fake_wechat):
    demo.seed()
    with time_machine.travel(MORNING, tick=True):
        openids = {}
        for n in range(40):
            m = make_member(f"139000002{n:02d}", openid=f"o-camp-{n}", consent=True)
            consent_to_marketing(m)
            wrote_now(f"o-camp-{n}")
            openids[m.id] = f"o-camp-{n}"
        segment("FANS", [{"filter": "consent", "category": "marketing"}])
        campaign(segment_code="FANS", holdout_pct="30",
                 arms=[{"code": "A", "weight": 1, "coupon": "RECALL", "message": "A 方案：满200减15"},
                       {"code": "B", "weight": 1, "message": "B 方案：欢迎回来"}])
        counts = launch(now=utc(MORNING))
        arms = arms_of("C1")
        held = {openids[m] for m, a in arms.items() if a == "holdout"}
        treated = {openids[m]: a for m, a in arms.items() if a != "holdout"}
        assert held and set(Counter(treated.values())) == {"A", "B"} and counts["notices"] == len(treated)
        assert sweep()["enqueued"] == len(treated)
        work()
        sweep()
        work()
    got = Counter(m["touser"] for m in fake_wechat.custom_messages)
    assert got == Counter(list(treated))  # each treated member once, nobody else
    assert fake_wechat.template_messages == [] and fake_wechat.subscribe_messages == []
    texts = {m["touser"]: m["text"]["content"] for m in fake_wechat.custom_messages}
    for openid, arm in treated.items():
        expected = "A 方案：满200减15（已送您「回归礼券满200减15」）" if arm == "A" else "B 方案：欢迎回来"
        assert texts[openid] == expected
    assert {(d.kind, d.channel, d.outcome) for d in deliveries()} == {("campaign", "custom", "sent")}
    assert {openids[d.member_id] for d in deliveries()} == set(treated) and not held & set(texts)
