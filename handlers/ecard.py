"""会员卡 / 电子会员卡 / 付款码 (ECARD): the member code as a QR image.

The passive reply is the image (uploaded as temporary media); the numeric code follows
as a customer-service message. The upload waits at most ECARD_UPLOAD_TIMEOUT, well inside
the reply budget: when it is slower or fails, the reply is the numeric code with a link
to the e-card page, and an RQ job uploads the image and sends it as a customer-service
message (jobs.wechat.send_ecard_image), unless the code is used or expired by then.
A code is valid MEMBER_CODE_TTL seconds and single use (loyalty.till.member_codes), so a
screenshot is useless after a minute or after one sale.
"""
from __future__ import annotations

import io
import logging

from flask import current_app

from bot.replies import Image, Text
from bot.router import Turn, router
from bot.wechat import get_client
from bot.wechat_http import WeChatAPIError
from handlers import texts
from handlers.guard import member_required
from loyalty.till import member_codes

log = logging.getLogger("youka.handlers.ecard")


@router.command("ecard", "会员卡", "电子会员卡", "付款码", menu="ECARD")
@member_required
def ecard(turn: Turn):
    from jobs.wechat import enqueue_customer_message, enqueue_ecard_image
    code = member_codes.issue(turn.member, device="wechat")
    seconds = int(current_app.config["MEMBER_CODE_TTL"])
    try:
        media_id = get_client().upload_media("image", "ecard.png", io.BytesIO(code.qr_png()),
                                             timeout=float(current_app.config["ECARD_UPLOAD_TIMEOUT"]))
    except WeChatAPIError as exc:
        log.warning("e-card upload for member %s failed (%s); the code goes first, the image follows",
                    turn.member.id, exc)
        enqueue_ecard_image(turn.openid, code.code)
        link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/m/ecard"
        return texts.render("ecard/code_only", code=member_codes.grouped(code.code), seconds=seconds, link=link)
    enqueue_customer_message(turn.openid, Text(texts.render("ecard/code_follows", code=member_codes.grouped(code.code),
                                                            seconds=seconds)))
    return Image(media_id)
