"""The satisfaction survey: written after a visit (not too soon, at most one per member
per 30 days), and the member's 1-5 reply in the chat within 24 hours of the push."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select, update

from extensions import db
from jobs import notices
from loyalty import demo
from models import Outbox, Sale, SurveyRating
from tests.factories import fuel_sale
from tests.reminders.world import consenting, erased, on, rows, shanghai


def test_a_survey_follows_a_visit_once_its_delay_has_passed(any_app):
    demo.seed()
    member = consenting("13900000051")
    sale = fuel_sale(member, "30", at=shanghai("2026-12-02", "10:00"), txn="s1")
    fuel_sale(None, "30", at=shanghai("2026-12-02", "10:00"), txn="guest")  # no member: nobody to ask
    assert on("2026-12-02", notices.surveys, at="10:29") == 0  # under 30 minutes
    assert on("2026-12-02", notices.surveys, at="10:31") == 1
    assert rows("survey") == [(f"survey:{member.id}:{sale.id}", member.id, {"sale_id": sale.id})]
    assert on("2026-12-02", notices.surveys, at="11:00") == 0


def test_at_most_one_survey_per_member_per_thirty_days_for_the_latest_visit(any_app):
    demo.seed()
    member = consenting("13900000052")
    fuel_sale(member, "30", at=shanghai("2026-12-02", "08:00"), txn="s1")
    later = fuel_sale(member, "20", at=shanghai("2026-12-02", "09:00"), txn="s2")
    assert on("2026-12-02", notices.surveys, at="10:00") == 1
    assert rows("survey")[0][2] == {"sale_id": later.id}
    fuel_sale(member, "30", at=shanghai("2026-12-20", "08:00"), txn="s3")
    assert on("2026-12-20", notices.surveys, at="10:00") == 0
    fuel_sale(member, "30", at=shanghai("2027-01-02", "08:00"), txn="s4")  # 31 days after the survey
    assert on("2027-01-02", notices.surveys, at="10:00") == 1


def test_old_refunded_and_erased_members_visits_are_not_surveyed(any_app):
    demo.seed()
    old = consenting("13900000053")
    fuel_sale(old, "30", at=shanghai("2026-12-01", "09:00"), txn="old")  # 25 hours before the run
    refunded = consenting("13900000054")
    sale = fuel_sale(refunded, "30", at=shanghai("2026-12-02", "09:00"), txn="refunded")
    db.session.execute(update(Sale).where(Sale.id == sale.id).values(refunded_fen=Sale.payable_fen))
    db.session.commit()
    gone = consenting("13900000055")
    fuel_sale(gone, "30", at=shanghai("2026-12-02", "09:00"), txn="gone")
    erased(gone)
    assert on("2026-12-02", notices.surveys, at="10:00") == 0


# --- the reply in the chat ---------------------------------------------------------------

def surveyed(phone: str, openid: str, pushed_at):
    """A member whose visit got a survey, pushed (sent_at) at `pushed_at`."""
    member = consenting(phone, openid=openid)
    sale = fuel_sale(member, "30", at=pushed_at - timedelta(hours=1), txn=f"t-{phone}")
    with time_machine.travel(pushed_at - timedelta(minutes=1), tick=False):
        assert notices.surveys() == 1
    db.session.execute(update(Outbox).where(Outbox.kind == "survey", Outbox.member_id == member.id)
                       .values(sent_at=pushed_at))
    db.session.commit()
    return member, sale


def ratings() -> list[tuple[int, int, int]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(SurveyRating.sale_id, SurveyRating.member_id, SurveyRating.rating).order_by(SurveyRating.id))]


def test_a_rating_within_24_hours_is_recorded_once_and_thanked(app, wechat):
    demo.seed()
    pushed = shanghai("2026-12-02", "11:00")
    member, sale = surveyed("13900000061", "o_survey", pushed)
    with time_machine.travel(pushed + timedelta(hours=2), tick=False):
        assert wechat.say("o_survey", "4") == "感谢您的评价（4 分）！我们会继续努力，期待您下次光临。"
        assert ratings() == [(sale.id, member.id, 4)]
        assert wechat.say("o_survey", "1") == "您已评价过本次服务（4 分），感谢您的反馈！"
    assert ratings() == [(sale.id, member.id, 4)]


def test_full_width_digits_and_a_trailing_fen_count(app, wechat):
    demo.seed()
    pushed = shanghai("2026-12-02", "11:00")
    member, sale = surveyed("13900000062", "o_survey2", pushed)
    with time_machine.travel(pushed + timedelta(hours=23, minutes=59), tick=False):
        assert "感谢您的评价（5 分）" in wechat.say("o_survey2", "５分")
    assert ratings() == [(sale.id, member.id, 5)]


def test_other_text_a_late_reply_and_no_survey_go_to_the_normal_routing(app, wechat):
    demo.seed()
    pushed = shanghai("2026-12-02", "11:00")
    surveyed("13900000063", "o_survey3", pushed)
    consenting("13900000064", openid="o_nosurvey")
    with time_machine.travel(pushed + timedelta(hours=1), tick=False):
        assert "积分" in wechat.say("o_survey3", "积分")  # a command still works
        assert "功能" in wechat.say("o_survey3", "很好")  # words: the help reply
        assert "功能" in wechat.say("o_survey3", "6")  # not 1-5: the help reply
        assert "功能" in wechat.say("o_nosurvey", "3")  # no survey: the help reply
        assert "功能" in wechat.say("o_stranger", "3")  # not even bound
    with time_machine.travel(pushed + timedelta(hours=24, minutes=1), tick=False):
        assert "功能" in wechat.say("o_survey3", "3")  # too late: normal text
    assert ratings() == []


def test_a_survey_not_pushed_yet_takes_no_rating(app, wechat):
    demo.seed()
    member = consenting("13900000065", openid="o_unsent")
    fuel_sale(member, "30", at=shanghai("2026-12-02", "09:00"), txn="u1")
    with time_machine.travel(shanghai("2026-12-02", "10:00"), tick=False):
        assert notices.surveys() == 1  # written, but no sender has sent it (sent_at empty)
        assert "功能" in wechat.say("o_unsent", "5")
    assert ratings() == []
