"""A scan of a member's referral QR code (scene `ref:<code>`): a SCAN event, or a first
follow whose subscribe carries `qrscene_ref:<code>`. The scan is remembered for the bind
(loyalty.benefits.referral.remember_scan); the bind flow calls reward_on_bind.

Its own module, listed before `follow` in handlers.ROUTING: a scene-carrying subscribe
must reach this route before the plain subscribe greeting takes it.
"""
from __future__ import annotations

from bot.router import Turn, router
from extensions import db
from handlers import follow, texts
from loyalty import policy as policies
from loyalty.benefits import referral
from loyalty.people.bindings import member_by_openid


@router.scan(referral.SCENE_PREFIX)
def referral_scan(turn: Turn) -> str:
    welcome = follow.subscribe(turn) + "\n\n" if turn.msg.event == "subscribe" else ""
    code = turn.msg.scene[len(referral.SCENE_PREFIX):]
    referral.remember_scan(turn.openid, code)
    db.session.commit()
    if member_by_openid(turn.openid) is not None:
        return welcome + texts.static("referral/scanned_member")
    if referral.referrer_of(code) is None:
        return welcome + texts.static("referral/scanned_unknown")
    # Remembered now, or by an earlier scan (the first code scanned is the one that counts).
    return welcome + texts.render("referral/scanned", referred_points=policies.current().referral_points_referred)
