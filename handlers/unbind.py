"""解绑 and 注销, each confirmed (是/否).

解绑 removes this openid's binding (loyalty.people.bindings.unbind): the member, their
other openids and their accounts stay. 注销 erases the member's personal data under PIPL
(loyalty.people.erasure.erase_member): the books stay whole under an anonymised row and
the phone is free to register again as a new member.
"""
from __future__ import annotations

import logging

from bot.conversation import END, Flow, State, Step
from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty.people import bindings, erasure
from web import sessions
from web.h5.auth import member_owner

log = logging.getLogger("youka.unbind")

YES_NO = r"^\s*(是|否)\s*$"


def confirm_unbind(turn: Turn) -> Step:
    if turn.match.group(1) == "否":
        return Step(texts.render("unbind/kept"), next=END)
    member = bindings.unbind(turn.openid)
    if member is not None:
        log.info("unbound an openid from member %s", member.id)
    return Step(texts.render("unbind/done"), next=END)


def confirm_erase(turn: Turn) -> Step:
    if turn.match.group(1) == "否":
        return Step(texts.render("erase/kept"), next=END)
    # Looked up again: the member may have been unbound or erased since the question.
    member = bindings.member_by_openid(turn.openid)
    if member is None:
        return Step(texts.static("unbound"), next=END)
    erased = erasure.erase_member(member.id)
    # The member's H5 sessions end now, not at their next request's binding check.
    sessions.end_all(member_owner(erased.member_id))
    log.info("erased member %s (%d bindings removed)", erased.member_id, len(erased.openids))
    return Step(texts.render("erase/done"), next=END)


unbind_flow = Flow("unbind", start="confirm", states={
    "confirm": State(confirm_unbind, to=(END,), accepts=YES_NO, reprompt="unbind/confirm_again"),
})

erase_flow = Flow("erase", start="confirm", states={
    "confirm": State(confirm_erase, to=(END,), accepts=YES_NO, reprompt="erase/confirm_again"),
})


@router.command("unbind", "解绑")
@member_required
def unbind(turn: Turn):
    return unbind_flow.begin(turn, texts.render("unbind/confirm", phone=turn.member.phone))


@router.command("erase", "注销")
@member_required
def erase(turn: Turn):
    return erase_flow.begin(turn, texts.render("erase/confirm", phone=turn.member.phone))
