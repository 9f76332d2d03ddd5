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
