"""Subscription notices (/cgi-bin/message/subscribe/bizsend): one per acceptance the member
gave on the H5 page (the policy spends it before the call). SUBSCRIBE_TEMPLATES maps a
kind to its template id and keys, as NOTICE_TEMPLATES does for template messages."""
from __future__ import annotations

from bot.channels import sender
from bot.channels.values import template_data


@sender
class SubscribeSender:
    channel = "subscribe"
    threaded = True

    def payload(self, notice, config: dict) -> dict:
        entry = config["SUBSCRIBE_TEMPLATES"][notice.kind]
        body = {"touser": notice.openid, "template_id": notice.template_id or entry["template_id"],
                "data": template_data(entry["keys"], notice.fields)}
        if entry.get("page"):
            body["page"] = entry["page"]
        return body

    def call(self, client, payload: dict, token: str | None = None) -> dict:
        return client.send_message("message/subscribe/bizsend", payload, token)
