"""兑换 (积分商城): the catalogue numbered -> the member picks a number -> 是/否 -> the
coupon, the gift's pickup code and stations, or the donation's thanks.

The request key is minted when the flow begins and kept in the flow's data, so one
confirmation step is one redemption: a re-delivered 是 (dedup), a second 是 after the
flow ended (routed afresh), or a retry after a crash between commit and clearing the
flow all meet the same key (loyalty.benefits.rewards.redeem_once).
"""
from __future__ import annotations

import secrets

from bot.conversation import END, Flow, State, Step
from bot.router import Turn, router
from extensions import db
from handlers import texts
from handlers.guard import member_required
from loyalty.benefits import family, rewards
from loyalty.errors import InsufficientPoints, LimitReached, LoyaltyError, NotAllowed, OutOfStock
from loyalty.people import bindings
from loyalty.people.statements import last_day
from models import Coupon
from web import clock

YES_NO = r"^\s*(是|否)\s*$"
PICK = r"^\s*(\d{1,3})\s*$"
MAX_ITEMS = 20  # a chat reply stays short; the H5 rewards page lists everything


def pick(turn: Turn) -> Step:
    items = turn.data["items"]
    number = int(turn.match.group(1))
    if not 1 <= number <= len(items):
        return Step(texts.render("redeem/pick_again"), next="pick")
    code, name, price = items[number - 1]
    return Step(texts.render("redeem/confirm", item={"name": name, "points_price": price}),
                next="confirm", data={"chosen": code})


def confirm(turn: Turn) -> Step:
    if turn.match.group(1) == "否":
        return Step(texts.render("redeem/kept"), next=END)
    # Looked up again: the member may have been unbound since the catalogue was shown.
    member = bindings.member_by_openid(turn.openid)
    if member is None:
        return Step(texts.static("unbound"), next=END)
    key = f"wechat:{member.id}:{turn.data['key']}"
    try:
        r = rewards.redeem_once(member, turn.data["chosen"], key=key, now=clock.now()).result
    except LoyaltyError as exc:
        return Step(_refusal(exc), next=END)
    return Step(_result(r), next=END)


def _refusal(exc: LoyaltyError) -> str:
    if isinstance(exc, InsufficientPoints):
        return texts.render("redeem/not_enough", **exc.details)
    if isinstance(exc, OutOfStock):
        return texts.render("redeem/out_of_stock")
    if isinstance(exc, LimitReached):
        return texts.render("redeem/limit", limit=exc.details["limit"])
    if isinstance(exc, NotAllowed):
        return texts.render("redeem/not_allowed")
    return texts.render("redeem/unavailable")  # not on offer any more, unknown, coupon stopped


def _result(r) -> str:
    if r.item.kind == "coupon":
        coupon = db.session.get(Coupon, r.coupon_id)
        # valid_until is exclusive: the member is told the last day it can be used.
        return texts.render("redeem/coupon", r=r, coupon=coupon, valid_to=last_day(coupon.valid_until))
    if r.item.kind == "gift":
        return texts.render("redeem/gift", r=r, stations=rewards.pickup_stations())
    return texts.render("redeem/donation", r=r)


redeem_flow = Flow("redeem", start="pick", states={
    "pick": State(pick, to=("pick", "confirm"), accepts=PICK, reprompt="redeem/pick_again"),
    "confirm": State(confirm, to=(END,), accepts=YES_NO, reprompt="redeem/confirm_again"),
})


@router.command("redeem", "兑换", "积分商城", menu="REDEEM")
@member_required
def redeem(turn: Turn):
    member, now = turn.member, clock.now()
    if not family.can_redeem(member):
        return texts.render("redeem/not_allowed")
    # What this member can still take: in stock and not at their per-member limit.
    entries = [e for e in rewards.catalogue(member, now) if e.in_stock and e.limit_left != 0][:MAX_ITEMS]
    if not entries:
        return texts.render("redeem/empty")
    data = {"key": secrets.token_hex(8),
            "items": [[e.item.code, e.item.name, e.item.points_price] for e in entries]}
    return redeem_flow.begin(turn, texts.render("redeem/list", entries=entries,
                                                balance=rewards.balance(member, now)), data=data)
