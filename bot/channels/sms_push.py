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
        return {"to": notice.phone, "text": notice.text + " 回T退订", "purpose": notice.kind}

    def call(self, client, payload: dict, token: str | None = None) -> dict:
        sms.send(sms.SmsMessage(to=payload["to"], text=payload["text"], purpose=payload["purpose"]))
        return {"errcode": 0}
