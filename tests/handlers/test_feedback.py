"""反馈 through the webhook: with the text, by the button, too long, WeChat's re-delivery."""
from sqlalchemy import func, select

from extensions import db
from loyalty.people.bindings import member_by_openid
from loyalty.service import feedback
from models import FeedbackTicket
from tests.factories import make_member


def tickets() -> list[FeedbackTicket]:
    db.session.expire_all()
    return list(db.session.scalars(select(FeedbackTicket).order_by(FeedbackTicket.id)))


def test_feedback_with_its_text_becomes_a_ticket_confirmed_by_number(app, wechat):
    member = make_member("13800000031", openid="o-fb")
    reply = wechat.say("o-fb", "反馈 加油站厕所没纸")
    [ticket] = tickets()
    assert (ticket.text, ticket.status, ticket.member_id, ticket.openid) == ("加油站厕所没纸", "open", member.id, "o-fb")
    number = feedback.ticket_number(ticket.id, ticket.created_at)
    assert number.startswith("F") and number.endswith(f"-{ticket.id:04d}")
    assert reply == f"感谢您的反馈！已记录为工单 {number}，我们会尽快处理并回复您。"
    assert [t.number for t in feedback.tickets_of(member_by_openid("o-fb"))] == [number]


def test_the_number_is_the_shanghai_date_and_the_id():
    from datetime import datetime, timezone
    # 2026-12-01 16:30 UTC is 2026-12-02 00:30 in Shanghai (UTC+8): the next day's number.
    assert feedback.ticket_number(7, datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)) == "F20261202-0007"
    assert feedback.ticket_number(12345, datetime(2026, 12, 1, 15, 59, tzinfo=timezone.utc)) == "F20261201-12345"


def test_the_button_asks_for_the_text_and_the_next_message_is_the_ticket(app, wechat):
    asked = wechat.click("o-fb-btn", "FEEDBACK")["Content"]
    assert "请直接回复您的意见或建议（500 字以内）" in asked
    assert "已记录为工单 F" in wechat.say("o-fb-btn", "92 号油枪\n计价器看不清")
    [ticket] = tickets()
    # Not bound: still a ticket, with no member.
    assert (ticket.text, ticket.member_id) == ("92 号油枪\n计价器看不清", None)
    assert "我们会尽快处理" not in (wechat.say("o-fb-btn", "积分") or "")  # the flow is over


def test_feedback_alone_asks_blanks_ask_again_and_cancel_leaves_without_a_ticket(app, wechat):
    assert "请直接回复" in wechat.say("o-fb-cancel", "反馈")
    assert "请直接回复" in wechat.say("o-fb-cancel", "   ")
    assert "已取消" in wechat.say("o-fb-cancel", "取消")
    assert tickets() == []


def test_too_long_feedback_is_refused_with_its_length_and_asked_again(app, wechat):
    text = "油" * 501  # one over the 500-character limit
    assert wechat.say("o-fb-long", "反馈 " + text).startswith("反馈内容太长了（501 字），请精简到 500 字以内")
    assert tickets() == []
    # Asked again: the shorter text (exactly 500, the limit) is the ticket.
    assert "已记录为工单" in wechat.say("o-fb-long", "油" * 500)
    assert [len(t.text) for t in tickets()] == [500]


def test_too_long_in_the_flow_stays_in_the_flow(app, wechat):
    wechat.say("o-fb-long2", "反馈")
    assert "太长了（600 字）" in wechat.say("o-fb-long2", "长" * 600)
    assert "已记录为工单" in wechat.say("o-fb-long2", "短一点")
    assert [t.text for t in tickets()] == ["短一点"]


def test_a_redelivered_message_opens_one_ticket(app, wechat):
    first = wechat.say("o-fb-dup", "反馈 洗车机坏了", msg_id=990001)
    assert wechat.say("o-fb-dup", "反馈 洗车机坏了", msg_id=990001) == first  # WeChat's retry
    assert db.session.scalar(select(func.count(FeedbackTicket.id))) == 1
    # A second message with the same words is a second ticket: the member said it twice.
    assert wechat.say("o-fb-dup", "反馈 洗车机坏了", msg_id=990002) != first
    assert len(tickets()) == 2


def test_the_same_message_key_past_dedup_answers_with_its_first_ticket(app):
    first, created = feedback.open_ticket("o-x", "灯不亮", message_key="m:123")
    again, created_again = feedback.open_ticket("o-x", "灯不亮", message_key="m:123")
    assert (created, created_again) == (True, False)
    assert again == first and len(tickets()) == 1
