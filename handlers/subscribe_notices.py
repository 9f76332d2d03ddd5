"""WeChat's subscription-notice events: the member's choices in the popup of the H5
profile page's 订阅 button (subscribe_msg_popup_event), later changes in the chat's
settings (subscribe_msg_change_event), and the fate of a sent notice
(subscribe_msg_sent_event). Nothing is replied (WeChat shows nothing for these)."""
from __future__ import annotations

from bot.router import Turn, router
from loyalty.notices import acceptances


def _by_status(turn: Turn, element: str) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for item in turn.msg.records(element):
        template_id = item.get("TemplateId", "")
        if template_id:
            chosen.setdefault(item.get("SubscribeStatusString", "").lower(), []).append(template_id)
    return chosen


@router.event("subscribe_msg_popup_event")
def popup(turn: Turn) -> None:
    chosen = _by_status(turn, "SubscribeMsgPopupEvent")
    acceptances.accept(turn.openid, chosen.get("accept", []))
    return None


@router.event("subscribe_msg_change_event")
def change(turn: Turn) -> None:
    chosen = _by_status(turn, "SubscribeMsgChangeEvent")
    acceptances.withdraw(turn.openid, chosen.get("reject", []))
    return None


@router.event("subscribe_msg_sent_event")
def sent(turn: Turn) -> None:
    for item in turn.msg.records("SubscribeMsgSentEvent"):
        if item.get("TemplateId"):
            acceptances.confirm(turn.openid, item["TemplateId"], item.get("ErrorStatus", "") or item.get("ErrorCode", ""))
    return None
