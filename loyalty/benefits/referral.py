"""Referral (M13, 推荐 / 邀请): a member's personal permanent QR code; a new member who
scanned it and then binds rewards both sides, once.

    code_of(member)              the member's referral code (scene `ref:<code>`), made on first ask
    remember_scan(openid, code)  the scan of a code by an openid bound to nobody
    reward_on_bind(member, openid)  called by the bind flow once `openid` is bound to `member`

Rules: no self-referral; one referrer per member (the first code an openid scanned counts;
`referrals.referred_id` is unique); a member who already was a member before the scan (a
phone registered at the cashier, or an openid bound earlier) brings no reward. The points
(Policy.referral_points_referrer / referral_points_referred, LOYALTY_REFERRAL_POINTS_*)
are earned with ledger keys `referral:<referred id>:referrer|referred`, so a retried
bind never pays twice. Every function here only flushes; the caller commits.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty import policy as policies
from loyalty.books import points
from loyalty.books.ledger import as_utc, utc
from loyalty.people.members import account_of
from models import Member, Referral, ReferralCode, ReferralScan, WeChatBinding

SCENE_PREFIX = "ref:"
# No 0/O, 1/I/L: a member may read the code out to a friend.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


@dataclass(frozen=True)
class Reward:
    referral: Referral
    fresh: bool  # False: this bind was rewarded before (a retried call)


def scene(code: ReferralCode) -> str:
    return SCENE_PREFIX + code.code


def code_of(member: Member) -> ReferralCode:
    """The member's referral code, created on first ask (flushed). Two first asks racing:
    the loser's insert fails on the primary key and it reads the winner's."""
    found = db.session.get(ReferralCode, member.id)
    if found is not None:
        return found
    while True:
        made = ReferralCode(member_id=member.id, code="".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))
        try:
            with db.session.begin_nested():
                db.session.add(made)
            return made
        except IntegrityError:
            found = db.session.get(ReferralCode, member.id, populate_existing=True)
            if found is not None:
                return found  # 31^8 codes: a clash of codes just draws again


def keep_ticket(code: ReferralCode, ticket: str, url: str | None) -> None:
    """Cache the permanent QR ticket WeChat issued for the code (flushed)."""
    code.qr_ticket, code.qr_url = ticket, url
    db.session.flush()


def referrer_of(code: str) -> int | None:
    """The member id whose referral code this is (case-insensitive), or None. Reads only."""
    return db.session.scalar(select(ReferralCode.member_id).where(ReferralCode.code == (code or "").upper()))


def remember_scan(openid: str, code: str, *, now: datetime | None = None) -> bool:
    """Note that `openid` scanned referral `code` (the text after `ref:`). True when
    remembered; False for an unknown code, an openid already bound to a member (an
    existing member brings no reward, their own code included) or an openid that
    already scanned a code (the first one counts). Flushes only."""
    referrer = referrer_of(code)
    if referrer is None:
        return False
    if db.session.scalar(select(WeChatBinding.id).where(WeChatBinding.openid == openid)) is not None:
        return False
    if db.session.get(ReferralScan, openid) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ReferralScan(openid=openid, referrer_id=referrer, scanned_at=utc(now)))
    except IntegrityError:
        return False  # the same openid's other scan won the race
    return True


def reward_on_bind(member: Member, openid: str, *, now: datetime | None = None,
                   policy: policies.Policy | None = None) -> Reward | None:
    """Reward the referral behind this bind, if any: `openid` (now bound to `member`)
    scanned a referral code while bound to nobody, `member` became a member after that
    scan, and the referrer is someone else. Both sides earn their points (Policy) once;
    calling again, or for another openid of the same member, returns the first Reward
    with fresh=False. None when there is nothing to reward. Flushes only; the caller
    (the bind flow) commits with the binding."""
    now, policy = utc(now), policy or policies.current()
    first = db.session.scalars(select(Referral).where(Referral.referred_id == member.id)).first()
    if first is not None:
        return Reward(first, fresh=False)
    scan = db.session.get(ReferralScan, openid)
    if scan is None or scan.referrer_id == member.id:
        return None
    if db.session.scalar(select(Referral.id).where(Referral.openid == openid).limit(1)) is not None:
        # This WeChat account brought a member once already: erasing or unbinding and
        # binding again (a new member each time) must not pay the referrer again.
        return None
    if as_utc(member.created_at) < as_utc(scan.scanned_at):
        return None  # already a member before the scan: not brought by the referrer
    referrer = db.session.get(Member, scan.referrer_id)
    referral = Referral(referrer_id=referrer.id, referred_id=member.id, openid=openid, scanned_at=scan.scanned_at,
                        rewarded_at=now, referrer_points=policy.referral_points_referrer,
                        referred_points=policy.referral_points_referred)
    try:
        with db.session.begin_nested():
            db.session.add(referral)
    except IntegrityError:  # a concurrent bind of the same member rewarded it first
        return Reward(db.session.scalars(select(Referral).where(Referral.referred_id == member.id)).one(), False)
    for who, amount, side in ((referrer, referral.referrer_points, "referrer"),
                              (member, referral.referred_points, "referred")):
        if amount > 0:
            points.earn(account_of(who, "points"), amount, key=f"referral:{member.id}:{side}",
                        cause_type="referral", cause_ref=str(referral.id),
                        memo="推荐好友奖励" if side == "referrer" else "受邀入会奖励", now=now, policy=policy)
    db.session.flush()
    return Reward(referral, fresh=True)
