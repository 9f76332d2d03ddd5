"""A subscription notice that WeChat did not take (-1, no answer) gives its acceptance back
for the retry; a refusal (43101) keeps it spent. Real RQ worker, the fake WeChat API."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from extensions import db
from jobs.notify import deliver
from models import NoticeAcceptance
from tests.factories import make_member
from tests.notices.world import MORNING, add, deliveries, row, utc, work

BIZSEND = "/cgi-bin/message/subscribe/bizsend"


def accepted(member, fake_wechat, times: int) -> None:
    fake_wechat.accept("o-ming", "SUB_INSPECTION", times)
    for _ in range(times):
        db.session.add(NoticeAcceptance(openid="o-ming", member_id=member.id, template_id="SUB_INSPECTION"))
    db.session.commit()


def unused() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(NoticeAcceptance).where(
        NoticeAcceptance.used_at.is_(None)))


def spent_by() -> list:
    db.session.expire_all()
    return list(db.session.scalars(select(NoticeAcceptance.outbox_id).where(NoticeAcceptance.used_at.is_not(None))))


def inspection(member) -> int:
    return add("inspection", {"plate": "粤B12345", "due_on": "2027-02-10"}, member)


def test_a_network_error_gives_the_acceptance_back_and_the_retry_spends_it(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    accepted(ming, fake_wechat, 1)
    with time_machine.travel(MORNING, tick=False) as traveller:
        fake_wechat.fail(BIZSEND, -1)
        oid = inspection(ming)
        work()
        assert row(oid).status == "pending" and unused() == 1  # the member still holds it
        traveller.shift(31)
        deliver([oid])
    # The only acceptance goes to the retry: the notice is sent as a subscription notice.
    assert [(d.channel, d.outcome, d.errcode) for d in deliveries(oid)] == [
        ("subscribe", "retry", -1), ("subscribe", "sent", 0)]
    assert len(fake_wechat.subscribe_messages) == 1 and spent_by() == [oid] and unused() == 0


def test_retries_spend_one_acceptance_of_several(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    accepted(ming, fake_wechat, 3)
    with time_machine.travel(MORNING, tick=False) as traveller:
        fake_wechat.fail(BIZSEND, -1, times=2)
        oid = inspection(ming)
        work()
        traveller.shift(31)
        deliver([oid])
        traveller.shift(61)
        deliver([oid])
    assert [d.outcome for d in deliveries(oid)] == ["retry", "retry", "sent"]
    assert spent_by() == [oid] and unused() == 2


def test_43101_keeps_the_acceptance_spent(app, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    accepted(ming, fake_wechat, 1)
    with time_machine.travel(MORNING, tick=False):
        fake_wechat.fail(BIZSEND, 43101)
        oid = inspection(ming)
        work()
        deliver([oid])  # decided again without the closed channel: nothing else is open
    assert [(d.channel, d.outcome, d.reason) for d in deliveries(oid)] == [
        ("subscribe", "failed", "channel_closed"), (None, "skipped", "no_channel")]
    assert spent_by() == [oid] and unused() == 0
