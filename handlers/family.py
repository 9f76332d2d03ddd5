"""家庭: the family points pool in the chat (loyalty.benefits.family does the work).

家庭 shows what fits the member: no family -> the family_create flow (reply a name);
a live invitation of their phone -> family_answer (接受 / 拒绝); in a family -> the pool,
who earned what and who may redeem, then family_manage: the owner invites by phone
(the invitee, if they wrote to us in the last 48 hours, gets a customer-service notice)
or switches a member's right to redeem; a member may leave. A refusal of the domain
(full family, not the owner, ...) is its Chinese message, and the flow ends.
"""
from __future__ import annotations

from sqlalchemy import select

from bot.conversation import END, Flow, State, Step
from bot.replies import Text
from bot.router import Turn, router
from extensions import db, get_redis
from handlers import texts
from handlers.guard import member_required
from loyalty.benefits import family as families
from loyalty.benefits import family_roster
from loyalty.errors import LoyaltyError
from loyalty.people.bindings import member_by_openid, openids_of
from loyalty.people.members import mask_phone, normalise_phone
from loyalty.people.statements import points_statement
from models import Family, Member

PHONE = r"^1[3-9]\d{9}$"


def _name(text: str) -> str | None:
    # A command keyword is the member leaving the question, not naming a family "积分".
    name = text.strip()
    keywords = {k for c in router.commands for k in c.keywords}
    return name if 0 < len(name) <= 32 and name not in keywords else None


def _member_family(turn: Turn) -> tuple[Member | None, Family | None]:
    member = member_by_openid(turn.openid)
    family = db.session.get(Family, member.family_id) if member and member.family_id else None
    return member, family


def in_family(state):
    """A family_manage state: the member must still be in the family (left, or unbound, since)."""
    def run(turn: Turn) -> Step:
        member, family = _member_family(turn)
        if family is None or family.id != turn.data.get("family_id"):
            return Step(texts.static("family/gone"), next=END)
        return state(turn, member, family)
    run.__name__ = state.__name__
    return run


def _refused(exc: LoyaltyError) -> Step:
    db.session.rollback()
    return Step(exc.message, next=END)


def pool_view(member: Member, family: Family) -> str:
    return texts.render("family/pool", s=points_statement(member), seats=family_roster.roster(family),
                        is_owner=family.owner_id == member.id)


def create(turn: Turn) -> Step:
    member, _ = _member_family(turn)
    if member is None:  # unbound (or the phone moved to another WeChat) while the flow waited
        return Step(texts.static("unbound"), next=END)
    try:
        family = families.create(member, turn.accepted)
    except LoyaltyError as exc:
        return _refused(exc)
    db.session.commit()
    return Step(texts.render("family/created", family=family.name), next=END)


def answer(turn: Turn) -> Step:
    member, _ = _member_family(turn)
    if member is None:  # unbound (or the phone moved to another WeChat) while the flow waited
        return Step(texts.static("unbound"), next=END)
    invite = family_roster.pending_invitation(member)
    if invite is None or invite.invite_id != turn.data["invite_id"]:
        return Step(texts.static("family/invite_gone"), next=END)
    try:
        if turn.accepted[1] == "接受":
            families.join(member, db.session.get(Family, invite.family_id))
            reply = texts.render("family/joined", family=invite.family)
        else:
            family_roster.decline(member, invite.invite_id)
            reply = texts.render("family/declined", family=invite.family)
    except LoyaltyError as exc:
        return _refused(exc)
    db.session.commit()
    return Step(reply, next=END)


@in_family
def menu(turn: Turn, member: Member, family: Family) -> Step:
    owner, choice = family.owner_id == member.id, turn.accepted[0]
    if owner and choice == "1":
        return Step(texts.static("family/ask_phone"), next="invite_phone")
    if owner and choice == "2":
        return Step(texts.render("family/pick_member", seats=family_roster.roster(family)), next="pick")
    if not owner and choice == "1":
        return Step(texts.render("family/leave_confirm", family=family.name), next="leave_confirm")
    return Step(texts.static("family/menu_again"), next="menu")


@in_family
def invite_phone(turn: Turn, member: Member, family: Family) -> Step:
    try:
        invite = families.invite(family, member, turn.accepted[0])
    except LoyaltyError as exc:
        return _refused(exc)
    db.session.commit()
    _notify_invitee(invite.phone, owner=member.phone_masked, family=family.name)
    return Step(texts.render("family/invite_sent", phone=mask_phone(invite.phone), days=families.INVITE_DAYS),
                next=END)


@in_family
def pick(turn: Turn, member: Member, family: Family) -> Step:
    seats = family_roster.roster(family)
    index = int(turn.accepted[0]) - 1
    if not 0 <= index < len(seats):
        return Step(texts.static("family/pick_again"), next="pick")
    seat = seats[index]
    try:
        link = families.set_can_redeem(family, member, db.session.get(Member, seat.member_id), not seat.can_redeem)
    except LoyaltyError as exc:
        return _refused(exc)
    db.session.commit()
    return Step(texts.render("family/rights_changed", allowed=link.can_redeem, phone=seat.phone), next=END)


@in_family
def leave_confirm(turn: Turn, member: Member, family: Family) -> Step:
    if turn.accepted[1] == "否":
        return Step(texts.render("family/stayed", family=family.name), next=END)
    try:
        families.leave(member)
    except LoyaltyError as exc:
        return _refused(exc)
    db.session.commit()
    return Step(texts.render("family/left", family=family.name), next=END)


family_create = Flow("family_create", start="name", states={
    "name": State(create, to=(END,), accepts=_name, reprompt="family/name_again"),
})
family_answer = Flow("family_answer", start="answer", states={
    "answer": State(answer, to=(END,), accepts=r"^(接受|拒绝)$", reprompt="family/answer_again"),
})
family_manage = Flow("family_manage", start="menu", states={
    "menu": State(menu, to=("invite_phone", "pick", "leave_confirm", "menu", END), accepts=r"^[12]$",
                  reprompt="family/menu_again"),
    "invite_phone": State(invite_phone, to=(END,), accepts=PHONE, reprompt="family/phone_again"),
    "pick": State(pick, to=("pick", END), accepts=r"^\d{1,2}$", reprompt="family/pick_again"),
    "leave_confirm": State(leave_confirm, to=(END,), accepts=r"^(是|否)$", reprompt="family/leave_again"),
})


@router.command("family", "家庭")
@member_required
def family(turn: Turn):
    member = turn.member
    if member.family_id is not None:
        return family_manage.begin(turn, pool_view(member, db.session.get(Family, member.family_id)),
                                   data={"family_id": member.family_id})
    invite = family_roster.pending_invitation(member)
    if invite is not None:
        return family_answer.begin(turn, texts.render("family/invited", i=invite), data={"invite_id": invite.invite_id})
    return family_create.begin(turn, texts.static("family/none"))


def _notify_invitee(phone: str, *, owner: str, family: str) -> None:
    """A customer-service notice to the invitee's openids that wrote to us in the last
    48 hours (bot.dispatch marks them `wx:seen:<openid>`); WeChat refuses others (45015)."""
    from jobs.wechat import enqueue_customer_message
    invitee = db.session.scalars(select(Member).where(Member.phone == normalise_phone(phone))).first()
    if invitee is None:
        return
    notice = Text(texts.render("family/invite_notice", owner=owner, family=family))
    for openid in openids_of(invitee.id):
        if get_redis().exists(f"wx:seen:{openid}"):
            enqueue_customer_message(openid, notice)
