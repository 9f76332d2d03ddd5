"""Jobs that talk to WeChat on a member's behalf."""
from __future__ import annotations

import logging

from bot.replies import Reply, from_dict
from jobs import in_app_context, queue

log = logging.getLogger("youka.jobs")


def enqueue_customer_message(openid: str, reply: Reply) -> None:
    """Deliver a late reply (a handler that passed the reply budget) as a
    customer-service message."""
    queue().enqueue(send_customer_message, openid, reply.to_dict(),
                    retry=None, result_ttl=3600, failure_ttl=7 * 24 * 3600)


@in_app_context
def send_customer_message(openid: str, reply: dict) -> dict:
    from bot.wechat import get_client
    payload = from_dict(reply).customer_message(openid)
    return get_client().send_custom(payload)


def enqueue_ecard_image(openid: str, code: str) -> None:
    """The e-card's QR image, when it could not be uploaded inside the reply budget."""
    queue().enqueue(send_ecard_image, openid, code, retry=None, result_ttl=600, failure_ttl=24 * 3600)


@in_app_context
def send_ecard_image(openid: str, code: str) -> dict | None:
    """Upload the code's QR image and send it as a customer-service image message.
    Nothing is sent once the code is used or expired: a dead code's picture would only
    mislead the cashier (returns None then)."""
    import io

    from bot.replies import Image
    from bot.wechat import get_client
    from loyalty.errors import LoyaltyError
    from loyalty.qr_png import qr_png
    from loyalty.till import member_codes
    try:
        member_codes.resolve(code)
    except LoyaltyError as exc:
        log.info("e-card image not sent: the code is %s", exc.code)
        return None
    client = get_client()
    media_id = client.upload_media("image", "ecard.png", io.BytesIO(qr_png(code)))
    return client.send_custom(Image(media_id).customer_message(openid))
