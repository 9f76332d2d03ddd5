"""Outbox rows delivered by real RQ jobs to the fake WeChat API over HTTP: each kind once
on its channel, a retried job sends once, WeChat's refusals end where they must."""
from __future__ import annotations

import json

import pytest
import time_machine
from sqlalchemy import select

from extensions import db
from jobs.notify import deliver, notify_queue
from loyalty import demo
from loyalty.till import refunds
from models import Follower, Member, NoticeAcceptance, Station
from tests.factories import fuel_sale, make_member, sms_codes
from tests.notices.world import MORNING, add, consent_to_marketing, deliveries, row, utc, work, wrote_now


@pytest.fixture
def shop(app):
    demo.seed()
    return app


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=True):
        yield


def test_a_sale_sends_its_receipt_once_as_a_template_message(shop, fake_wechat, morning):
    ming = make_member("13800000001", openid="o-ming")
    sale = fuel_sale(ming, "40.00", at=utc(MORNING))
    assert notify_queue().count == 1  # enqueued after the sale's commit
    work()
    [message] = fake_wechat.template_messages
    assert message["touser"] == "o-ming" and message["template_id"] == "TPL_RECEIPT"
    values = {k: v["value"] for k, v in message["data"].items()}
    # 40.00 L of 92 at 7.65 = 306.00; 1 point a litre, doubled on Tuesday (member day) = 80.
    station = db.session.scalar(select(Station.name).where(Station.code == "S001"))
    assert values == {"thing1": station, "character_string2": "40.00L", "amount3": "¥306.00", "number4": "80",
                      "number5": "80", "time6": "2027-01-05 10:00"}
    assert message["client_msg_id"] == f"youka-{sale_outbox(sale.id)}"
    [log] = deliveries()
    assert (log.kind, log.channel, log.outcome, log.errcode, log.attempt) == ("receipt", "template", "sent", 0, 1)
    work()
    assert len(fake_wechat.template_messages) == 1


def sale_station(sale) -> str:
    return db.session.scalar(select(Station.name).where(Station.id == sale.station_id))


def sale_outbox(sale_id: int) -> int:
    from models import Outbox
    return db.session.scalar(select(Outbox.id).where(Outbox.dedup_key == f"receipt:{sale_id}"))


def test_a_retried_job_delivers_once(shop, fake_wechat, morning):
    ming = make_member("13800000001", openid="o-ming")
    oid = add("points_expiring", {"points": 120, "expires_on": "2027-01-31", "days": 30}, ming)
    work()
    # The same job again (RQ retry, a duplicate enqueue, the sweeper): nothing more is sent.
    notify_queue().enqueue(deliver, [oid], job_id=f"outbox-{oid}")
    work()
    deliver([oid])
    assert len(fake_wechat.template_messages) == 1
    assert [d.outcome for d in deliveries(oid)] == ["sent"]
    assert row(oid).status == "sent"


def test_every_kind_goes_once_on_its_channel(shop, fake_wechat, runner, morning):
    ming = make_member("13800000001", openid="o-ming")
    consent_to_marketing(ming)
    sale = fuel_sale(ming, "40.00", at=utc(MORNING))
    refunds.refund(sale.id, "R1", now=utc(MORNING))
    fake_wechat.accept("o-ming", "SUB_INSPECTION")
    db.session.add(NoticeAcceptance(openid="o-ming", member_id=ming.id, template_id="SUB_INSPECTION"))
    db.session.commit()
    rows = {
        "balance_low": {"balance_fen": 3000, "threshold_fen": 5000, "sale_id": None},
        "tier_up": {"tier": "金卡", "previous": "银卡"},
        "tier_down": {"tier": "银卡", "previous": "金卡"},
        "coupon_issued": {"coupon_id": 1, "title": "满200减20", "valid_until": "2027-02-01"},
        "points_expiring": {"points": 120, "expires_on": "2027-01-31", "days": 30},
        "coupon_expiring": {"coupon_ids": [1, 2], "count": 2, "expires_on": "2027-01-08"},
        "inspection": {"plate": "粤B12345", "due_on": "2027-02-10"},
        "birthday": {"coupon_id": None},
        "recall": {"coupon_id": None, "days_since_visit": 45},
        "feedback_answer": {"ticket_id": 1, "number": "F20270105-0001", "openid": "o-ming", "answer": "已更换打印纸"},
        "invoice_issued": {"request_id": 1, "sale_id": sale.id, "invoice_no": "INV-2027-0001",
                           "pdf_url": "https://invoices.example/fp/1.pdf", "amount_fen": 30600},
        "invoice_rejected": {"request_id": 2, "sale_id": sale.id, "amount_fen": 30600, "note": "抬头与税号不符"},
    }
    for kind, payload in rows.items():
        add(kind, payload, ming, key=f"test:{kind}")
    wrote_now("o-ming")
    add("survey", {"sale_id": sale.id}, ming)
    work()
    by_kind = {d.kind: d for d in deliveries()}
    assert {k: (d.channel, d.outcome) for k, d in by_kind.items()} == {
        "receipt": ("template", "sent"), "refund": ("template", "sent"), "balance_low": ("template", "sent"),
        "tier_up": ("template", "sent"), "tier_down": ("template", "sent"), "coupon_issued": ("template", "sent"),
        "points_expiring": ("template", "sent"), "coupon_expiring": ("template", "sent"),
        "inspection": ("subscribe", "sent"),
        # The member wrote: the survey and the first marketing message go in the chat window.
        "survey": ("custom", "sent"), "birthday": ("custom", "sent"), "recall": ("custom", "sent"),
        # The console's answers: the answer in the chat, the invoice by its template.
        "feedback_answer": ("custom", "sent"), "invoice_issued": ("template", "sent"),
        "invoice_rejected": ("custom", "sent")}
    assert len(deliveries()) == 15
    templates = sorted(m["template_id"] for m in fake_wechat.template_messages)
    assert templates == sorted(["TPL_RECEIPT", "TPL_REFUND", "TPL_BALANCE_LOW", "TPL_TIER", "TPL_TIER", "TPL_COUPON",
                                "TPL_POINTS_EXPIRY", "TPL_COUPON_EXPIRY", "TPL_INVOICE"])
    [invoice] = [m for m in fake_wechat.template_messages if m["template_id"] == "TPL_INVOICE"]
    assert {k: v["value"] for k, v in invoice["data"].items()} == {
        "character_string1": "INV-2027-0001", "amount2": "¥306.00", "thing3": "电子发票已开具"}
    [notice] = fake_wechat.subscribe_messages
    assert notice["data"]["car_number1"] == {"value": "粤B12345"}
    texts = [m["text"]["content"] for m in fake_wechat.custom_messages]
    assert texts == ["生日快乐！祝您一路顺风。", "好久不见！欢迎回来加油。",
                     "您的反馈（工单 F20270105-0001）已回复：已更换打印纸",
                     "您金额306.00元的发票申请未通过：抬头与税号不符。如有疑问请回复「反馈」联系我们。",
                     f"感谢您在{sale_station(sale)}加油！请回复 1-5 为本次服务打分（5 为非常满意）。"]
    # The acceptance is spent: one notice per acceptance.
    assert db.session.scalar(select(NoticeAcceptance.used_at)) is not None


def test_marketing_goes_by_sms_outside_the_window_and_the_weekly_cap_holds(shop, fake_wechat, runner, morning):
    ming = make_member("13800000001", openid="o-ming")
    consent_to_marketing(ming)
    for n in range(3):
        add("recall", {"coupon_id": None, "days_since_visit": 40 + n}, ming)
    work()
    assert [(d.channel, d.outcome, d.reason) for d in deliveries()] == [
        ("sms", "sent", None), ("sms", "sent", None), (None, "skipped", "marketing_cap")]
    assert len(sms_codes(runner, "13800000001")) == 2
    assert fake_wechat.template_messages == [] and fake_wechat.custom_messages == []


def test_a_member_who_never_consented_gets_no_marketing(shop, fake_wechat, runner, morning):
    ming = make_member("13800000001", openid="o-ming")
    oid = add("birthday", {"coupon_id": None}, ming)
    work()
    assert [(d.outcome, d.reason) for d in deliveries(oid)] == [("skipped", "opted_out")]
    assert sms_codes(runner, "13800000001") == []


def test_43004_marks_the_member_unfollowed_and_is_not_retried(shop, fake_wechat, morning):
    ming = make_member("13800000001", openid="o-ming")
    fake_wechat.set_following("o-ming", False)
    first = add("tier_up", {"tier": "金卡", "previous": "银卡"}, ming)
    work()
    assert [(d.outcome, d.errcode, d.reason) for d in deliveries(first)] == [("failed", 43004, "not_following")]
    assert row(first).status == "failed"
    assert db.session.scalar(select(Follower.subscribed).where(Follower.openid == "o-ming")) is False
    assert db.session.get(Member, ming.id).following is False
    # The next notice is not even tried: the policy knows.
    second = add("tier_down", {"tier": "银卡", "previous": "金卡"}, ming)
    work()
    assert [(d.outcome, d.reason) for d in deliveries(second)] == [("skipped", "not_following")]
    assert fake_wechat.template_messages == []


def test_45047_closes_the_chat_window_for_that_notice(shop, fake_wechat, morning):
    ming = make_member("13800000001", openid="o-ming")
    wrote_now("o-ming")
    fake_wechat.fail("/cgi-bin/message/custom/send", 45047)
    oid = add("inspection", {"plate": "粤B12345", "due_on": "2027-02-10"}, ming)
    work()
    deliver([oid])  # decided again without the closed channel
    assert [(d.channel, d.outcome, d.errcode) for d in deliveries(oid)] == [
        ("custom", "failed", 45047), (None, "skipped", None)]
    assert deliveries(oid)[-1].reason == "no_channel"
    assert fake_wechat.custom_messages == []


def test_a_network_error_is_retried_later_with_backoff(shop, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    with time_machine.travel(MORNING, tick=False) as traveller:
        fake_wechat.fail("/cgi-bin/message/template/send", -1)
        oid = add("points_expiring", {"points": 10, "expires_on": "2027-01-31", "days": 7}, ming)
        work()
        first = row(oid)
        assert (first.status, first.attempts) == ("pending", 1)
        assert first.next_attempt_at == utc(MORNING) + __import__("datetime").timedelta(seconds=30)
        deliver([oid])  # not due yet: nothing happens
        assert len(deliveries(oid)) == 1
        traveller.shift(31)
        deliver([oid])
    assert [(d.outcome, d.errcode, d.attempt) for d in deliveries(oid)] == [("retry", -1, 1), ("sent", 0, 2)]
    assert len(fake_wechat.template_messages) == 1


def test_a_bad_template_value_is_47003_and_final(shop, fake_wechat, app, morning):
    app.config["NOTICE_TEMPLATES"] = {**app.config["NOTICE_TEMPLATES"],
                                      "tier_up": {"template_id": "TPL_TIER", "keys": {"phrase1": "previous"}}}
    ming = make_member("13800000001", openid="o-ming")
    # A phrase of no Chinese at all: the formatter gives "通知", which WeChat accepts.
    oid = add("tier_up", {"tier": "Gold", "previous": "Silver"}, ming)
    work()
    assert fake_wechat.template_messages[0]["data"] == {"phrase1": {"value": "通知"}}
    assert row(oid).status == "sent"
