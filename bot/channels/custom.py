"""Customer-service messages (/cgi-bin/message/custom/send): the notice's text
(templates/notices/<kind>.txt), inside the 48-hour window the policy checked."""
from __future__ import annotations

from bot.channels import sender
from bot.replies import Text


@sender
class CustomSender:
    channel = "custom"
    threaded = True

    def payload(self, notice, config: dict) -> dict:
        return Text(notice.text).customer_message(notice.openid)

    def call(self, client, payload: dict, token: str | None = None) -> dict:
        return client.send_message("message/custom/send", payload, token)
