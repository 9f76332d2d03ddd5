"""反馈: a member's feedback, kept as a ticket (loyalty.service.feedback) and confirmed
with its number. Two ways in:

    「反馈 加油站厕所没纸」  the text in the same message: the ticket at once
    反馈 / the FEEDBACK button  asks for the text (the flow below), then the ticket

Not guarded: a follower who never bound a phone may still tell us something is wrong.
Text over the limit is refused with its length and asked for again.
"""
from __future__ import annotations

from bot.conversation import END, Flow, State, Step
from bot.router import Turn, router
from handlers import texts
from loyalty.errors import ValidationError
from loyalty.people.bindings import member_by_openid
from loyalty.service import feedback

# 「反馈」 then the text, after optional spaces or a colon; the text may run over lines.
WITH_TEXT = r"^\s*反馈[\s:：,，]*(\S[\s\S]*)$"


def _open(turn: Turn, text: str):
    """(reply, opened): the confirmation, or the too-long reply when the text does not fit."""
    try:
        ticket, _ = feedback.open_ticket(turn.openid, text, message_key=turn.msg.dedup_key(),
                                         member=member_by_openid(turn.openid))
    except ValidationError as exc:
        return texts.render("feedback/too_long", length=exc.details.get("length", 0), limit=feedback.MAX_TEXT), False
    return texts.render("feedback/done", ticket=ticket), True


def take_text(turn: Turn) -> Step:
    reply, opened = _open(turn, turn.text)
    return Step(reply, next=END if opened else "text")


feedback_flow = Flow("feedback", start="text", timeout=600, states={
    # Any text but blanks is an answer; its length is checked by loyalty (too long: asked again).
    "text": State(take_text, to=("text", END), accepts=lambda text: text.strip() or None,
                  reprompt=lambda turn: texts.render("feedback/ask", limit=feedback.MAX_TEXT)),
})


@router.command("feedback", "反馈", "意见反馈", menu="FEEDBACK")
@router.regex(WITH_TEXT, name="feedback:with_text")
def give_feedback(turn: Turn):
    if turn.match is None:  # 反馈 alone, or the button: ask for the text
        return feedback_flow.begin(turn, texts.render("feedback/ask", limit=feedback.MAX_TEXT))
    reply, opened = _open(turn, turn.match.group(1))
    return reply if opened else feedback_flow.begin(turn, reply)
