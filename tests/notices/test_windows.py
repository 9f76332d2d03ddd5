"""The customer-service windows from what WeChat posts to the webhook: a member's message
opens the 48 hours; a menu tap, follow or scan the minute (3 messages); the events that are
no member activity (TEMPLATESENDJOBFINISH, subscription-notice events, LOCATION reports)
open nothing. Real webhook, Redis, RQ worker and the fake WeChat API enforcing the windows."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from bot.member_sim import message_xml
from tests.factories import make_member
from tests.notices.world import MORNING, add, deliveries, work


@pytest.fixture
def ming(app, fake_wechat):
    fake_wechat.windows_enforced = True
    return make_member("13800000001", openid="o-ming")


def inspection(member, n: int) -> int:
    """A notice that can only go as a customer-service message (no acceptance held)."""
    return add("inspection", {"plate": f"粤B1234{n}", "due_on": "2027-02-10"}, member)


def outcomes(oid: int) -> list[tuple]:
    return [(d.channel, d.outcome, d.reason) for d in deliveries(oid)]


def test_events_that_are_no_member_activity_open_no_window(ming, wechat, fake_wechat):
    with time_machine.travel(MORNING, tick=True):
        wechat.post(message_xml("o-ming", event="TEMPLATESENDJOBFINISH", extra={"Status": "success"}))
        wechat.post(message_xml("o-ming", event="LOCATION", extra={"Latitude": "22.5", "Longitude": "113.9"}))
        wechat.post(message_xml("o-ming", event="subscribe_msg_sent_event"))
        oid = inspection(ming, 1)
        work()
    assert outcomes(oid) == [(None, "skipped", "no_channel")]
    assert fake_wechat.custom_messages == []


def test_a_message_from_the_member_opens_the_48_hours(ming, wechat, fake_wechat):
    with time_machine.travel(MORNING, tick=True) as traveller:
        wechat.send("o-ming", "你好")
        fake_wechat.interact("o-ming", "message")  # WeChat's side of the same message
        traveller.shift(47 * 3600)
        oid = inspection(ming, 1)
        work()
    assert outcomes(oid) == [("custom", "sent", None)]
    assert len(fake_wechat.custom_messages) == 1


def test_a_menu_tap_allows_three_messages_within_the_minute(ming, wechat, fake_wechat):
    with time_machine.travel(MORNING, tick=True) as traveller:
        wechat.event("o-ming", "VIEW", "https://example.com/m/profile")
        fake_wechat.interact("o-ming", "event")
        ids = [inspection(ming, n) for n in range(4)]
        work()
        assert [outcomes(i) for i in ids] == [[("custom", "sent", None)]] * 3 + [[(None, "skipped", "no_channel")]]
        traveller.shift(61)
        later = inspection(ming, 9)
        work()
    assert outcomes(later) == [(None, "skipped", "no_channel")]  # the minute is over: not the 48 hours
    assert len(fake_wechat.custom_messages) == 3
