"""推荐 / 邀请: the member's personal permanent QR code (scene `ref:<code>`).

The QR ticket is created once per member through WeChat's qrcode/create
(QR_LIMIT_STR_SCENE) and cached in the database (loyalty.benefits.referral); the image
uploaded as temporary media is cached in Redis for two days (WeChat keeps it three), so
asking again costs no WeChat call. The reply is the image, the explanation follows as a
customer-service message; when WeChat fails, a text with the code and the image's link.
Scans of the code are handled in handlers/referral_scan.py.
"""
from __future__ import annotations

import io
import logging

from flask import current_app

from bot.replies import Image, Text
from bot.router import Turn, router
from bot.wechat import get_client
from bot.wechat_http import WeChatAPIError
from extensions import db, get_redis
from handlers import texts
from handlers.guard import member_required
from loyalty import policy as policies
from loyalty.benefits import referral

log = logging.getLogger("youka.handlers.referral")
MEDIA_TTL = 2 * 24 * 3600


def _media_key(member_id: int) -> str:
    return f"youka:refqr:media:{member_id}"


@router.command("referral", "推荐", "邀请")
@member_required
def referral_card(turn: Turn):
    from jobs.wechat import enqueue_customer_message
    code = referral.code_of(turn.member)
    policy = policies.current()
    amounts = {"code": code.code, "referrer_points": policy.referral_points_referrer,
               "referred_points": policy.referral_points_referred}
    client = get_client()
    try:
        if code.qr_ticket is None:
            made = client.create_qrcode(referral.scene(code), permanent=True)
            referral.keep_ticket(code, made["ticket"], made.get("url"))
        db.session.commit()
        media_id = _cached_media(turn.member.id, client, code.qr_ticket)
    except WeChatAPIError as exc:
        db.session.commit()  # the code (and a ticket, if WeChat gave one) is kept for next time
        log.warning("referral QR for member %s failed (%s); replying with the code", turn.member.id, exc)
        link = client.qrcode_url(code.qr_ticket) if code.qr_ticket else None
        return texts.render("referral/card_text", link=link, **amounts)
    enqueue_customer_message(turn.openid, Text(texts.render("referral/card", **amounts)))
    return Image(media_id)


def _cached_media(member_id: int, client, ticket: str) -> str:
    cached = get_redis().get(_media_key(member_id))
    if cached:
        return cached.decode()
    png = client.qrcode_image(ticket)
    media_id = client.upload_media("image", "referral.png", io.BytesIO(png),
                                   timeout=float(current_app.config["ECARD_UPLOAD_TIMEOUT"]))
    get_redis().set(_media_key(member_id), media_id, ex=MEDIA_TTL)
    return media_id
