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


@pytest.mark.parametrize("posted, key", [
    (dict(text="积分"), "wx:seen"),
    (dict(msg_type="image", extra={"PicUrl": "http://x/p.jpg", "MediaId": "m1"}), "wx:seen"),
    (dict(msg_type="location", extra={"Location_X": "22.5", "Location_Y": "113.9", "Label": "南山"}), "wx:seen"),
    (dict(event="CLICK", event_key="NO_SUCH_KEY"), "wx:tap"),
    (dict(event="VIEW", event_key="https://example.com/m/profile"), "wx:tap"),
    (dict(event="SCAN", event_key="no-such-scene"), "wx:tap"),
    (dict(event="subscribe"), "wx:tap"),
    (dict(event="TEMPLATESENDJOBFINISH", extra={"Status": "success"}), None),
    (dict(event="LOCATION", extra={"Latitude": "22.5", "Longitude": "113.9", "Precision": "30"}), None),
    (dict(event="subscribe_msg_popup_event"), None),
    (dict(event="subscribe_msg_change_event"), None),
    (dict(event="unsubscribe"), None),
], ids=lambda v: v if isinstance(v, str) or v is None else (v.get("event") or v.get("msg_type") or "text"))
def test_which_posts_note_the_member_as_active(app, wechat, posted, key):
    from extensions import get_redis
    make_member("13800000009", openid="o-kai")
    wechat.post(message_xml("o-kai", **posted))
    noted = {k for k in ("wx:seen", "wx:tap") if get_redis().exists(f"{k}:o-kai")}
    assert noted == ({key} if key else set())


def test_the_batch_reads_both_moments_and_counts_the_messages_since_each(any_app):
    """recipients.load on PostgreSQL (one statement) and SQLite (the portable path) alike."""
    from datetime import datetime, timezone

    from extensions import db, get_redis
    from loyalty import outbox
    from loyalty.notices import recipients
    from models import Delivery
    now = datetime(2027, 1, 5, 2, 0, tzinfo=timezone.utc)
    kai = make_member("13800000009", openid="o-kai")
    get_redis().set("wx:seen:o-kai", int((now - timedelta(hours=1)).timestamp()))
    get_redis().set("wx:tap:o-kai", int((now - timedelta(seconds=30)).timestamp()))
    row = outbox.add("inspection", "t:1", {"plate": "粤B1", "due_on": "2027-02-10"}, member_id=kai.id)
    db.session.flush()
    # Customer-service messages sent before both moments, after the message, after the tap.
    for ago in (timedelta(hours=2), timedelta(minutes=10), timedelta(seconds=10)):
        db.session.add(Delivery(outbox_id=row.id, member_id=kai.id, kind="inspection", channel="custom",
                                outcome="sent", created_at=now - ago))
    db.session.commit()
    people, _ = recipients.load({kai.id}, [], now)
    kai_now = people[kai.id]
    assert kai_now.last_wrote_at == now - timedelta(hours=1)
    assert kai_now.last_tapped_at == now - timedelta(seconds=30)
    assert (kai_now.custom_sent_in_window, kai_now.custom_sent_since_tap) == (2, 1)
