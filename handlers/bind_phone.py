"""绑定: bind the member's phone to this openid, proven by an SMS code, with consent.

    phone   -> a mainland mobile (full-width digits, spaces, +86 accepted) -> code sent
    code    -> the 6 digits (or 重发 for a new code) -> the privacy terms
    consent -> 是: bound (loyalty.people.bindings.bind_phone); 否: nothing is bound
The code's limits and life are loyalty.people.phone_codes'; the SMS goes through
bot.channels.sms. Not guarded: it is how an unbound member becomes one.
"""
from __future__ import annotations

import logging
import unicodedata

from flask import current_app

from bot.channels import sms
from bot.conversation import END, Flow, State, Step
from bot.replies import Text
from bot.router import Turn, router
from bot.wechat import get_client
from handlers import texts
from loyalty.errors import ValidationError
from loyalty.people import bindings, phone_codes
from loyalty.people.members import mask_phone, normalise_phone
from loyalty.people.phone_codes import Verdict

log = logging.getLogger("youka.bind")


def _phone(text: str) -> str | None:
    # NFKC first: a phone typed with full-width digits (１３８…) is still a phone.
    try:
        return normalise_phone(unicodedata.normalize("NFKC", text))
    except ValidationError:
        return None


def _send_code(turn: Turn, phone: str, sent: str, *, refused_to: str) -> Step:
    issued = phone_codes.issue(turn.openid, phone)
    if issued.code is None:
        return Step(texts.render("bind/wait", wait=issued.wait), next=refused_to)
    minutes = int(current_app.config["PHONE_CODE_TTL"]) // 60
    try:
        sms.send(sms.SmsMessage(to=phone, code=issued.code, purpose="bind",
                                text=texts.render("bind/sms_code", code=issued.code, minutes=minutes)))
    except sms.SmsError as exc:
        log.warning("SMS to %s failed: %s", mask_phone(phone), exc)
        phone_codes.forget(turn.openid)
        return Step(texts.render("bind/sms_failed"), next=refused_to)
    return Step(texts.render(sent, phone=phone, minutes=minutes), next="code", data={"phone": phone})


def take_phone(turn: Turn) -> Step:
    return _send_code(turn, turn.accepted, "bind/code_sent", refused_to="phone")


def take_code(turn: Turn) -> Step:
    if turn.match.group(1) == "重发":
        return _send_code(turn, turn.data["phone"], "bind/code_resent", refused_to="code")
    checked = phone_codes.verify(turn.openid, turn.match.group(1))
    if checked.verdict is Verdict.OK and checked.phone == turn.data["phone"]:
        cfg = current_app.config
        url = cfg.get("PRIVACY_TERMS_URL") or cfg["PUBLIC_BASE_URL"].rstrip("/") + "/privacy"
        return Step(texts.render("bind/consent", version=cfg["PRIVACY_TERMS_VERSION"], url=url),
                    next="consent", data={"proven": True})
    if checked.verdict is Verdict.WRONG:
        return Step(texts.render("bind/code_wrong", tries_left=checked.tries_left), next="code")
    if checked.verdict is Verdict.DEAD:
        return Step(texts.render("bind/code_dead"), next="code")
    return Step(texts.render("bind/code_expired"), next="code")


def take_consent(turn: Turn) -> Step:
    if turn.match.group(1) == "否" or not turn.data.get("proven"):
        return Step(texts.render("bind/declined"), next=END)
    phone = turn.data["phone"]
    bound = bindings.bind_phone(turn.openid, phone, terms_version=current_app.config["PRIVACY_TERMS_VERSION"])
    for openid in bound.moved_from:
        _tell_moved_away(openid, phone)
    log.info("bound an openid to member %s (%s)%s", bound.member.id, mask_phone(phone),
             " (new member)" if bound.created else "")
    return Step(texts.render("bind/done", phone=phone, created=bound.created), next=END)


def _tell_moved_away(openid: str, phone: str) -> None:
    """Tell the openid the phone moved away from. Outside WeChat's 48-hour window the
    customer-service message is refused: that is logged, the bind stands."""
    try:
        get_client().send_custom(Text(texts.render("bind/moved_away", phone=phone)).customer_message(openid))
    except Exception as exc:  # a failed notice never undoes a proven bind
        log.warning("could not tell the previous openid that %s moved: %s", mask_phone(phone), exc)


bind_flow = Flow("bind_phone", start="phone", timeout=900, states={
    "phone": State(take_phone, to=("phone", "code"), accepts=_phone, reprompt="bind/phone_again"),
    "code": State(take_code, to=("code", "consent"), accepts=r"^\s*(\d{6}|重发)\s*$", reprompt="bind/code_again"),
    "consent": State(take_consent, to=(END,), accepts=r"^\s*(是|否)\s*$", reprompt="bind/consent_again"),
})


@router.command("bind_phone", "绑定", "绑定手机", menu="BIND_PHONE")
def bind_phone(turn: Turn):
    member = bindings.member_by_openid(turn.openid)
    if member is not None:
        return texts.render("bind/already", phone=member.phone)
    return bind_flow.begin(turn, texts.render("bind/ask_phone"))
