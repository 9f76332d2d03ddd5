"""Template messages (/cgi-bin/message/template/send): service notices only.

Operators add category templates by hand in the official-account console and map each
notice kind to its template id and keys (NOTICE_TEMPLATES: kind -> {"template_id",
"keys": {template key: field name}, "url"?}); each value is formatted for its key's type.
client_msg_id is the outbox row's: WeChat sends one message per openid and id within 10 minutes.
"""
from __future__ import annotations

from bot.channels import sender
from bot.channels.values import template_data


@sender
class TemplateSender:
    channel = "template"
    threaded = True

    def payload(self, notice, config: dict) -> dict:
        entry = config["NOTICE_TEMPLATES"][notice.kind]
        body = {"touser": notice.openid, "template_id": entry["template_id"],
                "data": template_data(entry["keys"], notice.fields), "client_msg_id": notice.client_msg_id}
        if entry.get("url"):
            body["url"] = entry["url"]
        return body

    def call(self, client, payload: dict, token: str | None = None) -> dict:
        return client.send_message("message/template/send", payload, token)
