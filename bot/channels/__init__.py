"""Push senders, one per channel, registered by name (as Redash registers its
destinations): template.py, subscribe.py, custom.py, sms_push.py; sms.py is the SMS
interface the bind flow and sms_push use. values.py formats template values per key type.

A sender turns a notice (loyalty.notices.delivery.Notice) into its channel's payload
(`payload`, in the job's app context) and makes the call (`call`, on any thread, with
the access token the job read once for its batch; it raises bot.wechat_http.WeChatAPIError when WeChat refuses). A failing channel never stops
the others: jobs/notify.py turns each error into that notice's outcome.
"""
from __future__ import annotations

from typing import Any, Protocol

SENDERS: dict[str, "Sender"] = {}


class Sender(Protocol):
    channel: str
    threaded: bool   # may `call` run on a worker thread (no app context needed)

    def payload(self, notice: Any, config: dict) -> dict: ...

    def call(self, client: Any, payload: dict, token: str | None = None) -> dict: ...


def sender(cls):
    """Register a sender class under its `channel`."""
    SENDERS[cls.channel] = cls()
    return cls


def get(channel: str) -> "Sender":
    if not SENDERS:
        from bot.channels import custom, sms_push, subscribe, template  # noqa: F401  (they register)
    return SENDERS[channel]
