"""Marketing by SMS, to members who consented (the policy checked): through the SMS
interface (bot/channels/sms.py), in the job's app context."""
from __future__ import annotations

from bot.channels import sender
from bot.channels import sms


@sender
class SmsSender:
    channel = "sms"
    threaded = False

    def payload(self, notice, config: dict) -> dict:
        # A kind may give the SMS its own text (a campaign arm's sms_text); else the chat text.
        text = notice.fields.get("sms_text") or notice.text
        return {"to": notice.phone, "text": text + " 回T退订", "purpose": notice.kind}

    def call(self, client, payload: dict, token: str | None = None) -> dict:
        sms.send(sms.SmsMessage(to=payload["to"], text=payload["text"], purpose=payload["purpose"]))
        return {"errcode": 0}
