"""The satisfaction survey's reply: a 1-5 (半角 or 全角, optionally 「分」 or 「星」) within
24 hours of the survey push is the member's rating of that visit
(loyalty.reminders.surveys.record_reply), answered with a thank-you.

Nothing else is swallowed: a digit from a member with no open survey (none pushed, or
pushed more than 24 hours ago, or not bound) is handed on (router.PASS) to the normal
routing, as any other text. A second rating of the same visit changes nothing.
"""
from __future__ import annotations

from bot.router import PASS, Turn, router
from handlers import texts
from loyalty.people.bindings import member_by_openid
from loyalty.reminders import surveys
from web import clock

RATING = r"^\s*([1-5１-５])\s*[分星]?\s*$"
_FULL_WIDTH = str.maketrans("１２３４５", "12345")


@router.regex(RATING, name="survey:rating")
def rate(turn: Turn):
    member = member_by_openid(turn.openid)
    if member is None:
        return PASS
    rating = int(turn.match.group(1).translate(_FULL_WIDTH))
    reply = surveys.record_reply(member.id, rating, now=clock.now())
    if reply is None:
        return PASS
    return texts.render("survey/thanks" if reply.recorded else "survey/already", rating=reply.rating)
