"""The notice-kind catalogue: every kind the outbox may hold, its policy category, its
urgency (quiet hours hold back the non-urgent ones), the channels it may go by in order
of preference, and the formatter of its payload into named fields.

Payloads (JSON in outbox.payload) are written by their producers:
  receipt          {"sale_id": int}
  refund           {"sale_id": int, "refund_id": int}
  balance_low      {"balance_fen": int, "threshold_fen": int, "sale_id": int | null}
  tier_up          {"tier": str, "previous": str | null}
  tier_down        {"tier": str, "previous": str | null}
  coupon_issued    {"coupon_id": int, "title": str, "valid_until": "YYYY-MM-DD"}
  points_expiring  {"points": int, "expires_on": "YYYY-MM-DD", "days": 30 | 7}
  coupon_expiring  {"coupon_ids": [int], "count": int, "expires_on": "YYYY-MM-DD"}
  birthday         {"coupon_id": int | null}
  recall           {"coupon_id": int | null, "days_since_visit": int}
  inspection       {"plate": str, "due_on": "YYYY-MM-DD"}
  survey           {"sale_id": int}
  feedback_answer  {"ticket_id": int, "number": str, "openid": str, "answer": str}
  invoice_issued   {"request_id": int, "sale_id": int, "invoice_no": str, "pdf_url": str, "amount_fen": int}
  invoice_rejected {"request_id": int, "sale_id": int, "amount_fen": int, "note": str}
  campaign         {"campaign_id": int, "arm_id": int, "coupon_id": int | null, "points": int}

A kind's fields are plain typed values (fen as int, dates, datetimes, str); the channel's
sender turns them into its payload (template values per key type: bot/channels/values.py).
Marketing kinds never list the template or the subscription channel: WeChat allows
marketing only in the chat window, a tag broadcast or by SMS (rules since May 2023).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Callable


class Category(StrEnum):
    """The member's opt-out categories (models/push_preference.py)."""
    SERVICE = "service_notices"
    REMINDER = "reminders"
    MARKETING = "marketing"


class Channel(StrEnum):
    TEMPLATE = "template"    # /cgi-bin/message/template/send
    SUBSCRIBE = "subscribe"  # /cgi-bin/message/subscribe/bizsend (one acceptance each)
    CUSTOM = "custom"        # /cgi-bin/message/custom/send (inside the 48-hour window)
    SMS = "sms"              # marketing, to members who consented


class Kind(StrEnum):
    RECEIPT = "receipt"
    REFUND = "refund"
    BALANCE_LOW = "balance_low"
    TIER_UP = "tier_up"
    TIER_DOWN = "tier_down"
    COUPON_ISSUED = "coupon_issued"
    POINTS_EXPIRING = "points_expiring"
    COUPON_EXPIRING = "coupon_expiring"
    BIRTHDAY = "birthday"
    RECALL = "recall"
    INSPECTION = "inspection"
    SURVEY = "survey"
    FEEDBACK_ANSWER = "feedback_answer"
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_REJECTED = "invoice_rejected"
    CAMPAIGN = "campaign"


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    category: Category
    urgent: bool                      # sent in quiet hours too
    channels: tuple[Channel, ...]     # in order of preference
    fields: Callable[[dict, dict], dict[str, Any]]  # (payload, facts) -> named fields
    facts: tuple[str, ...] = ()       # what facts.py loads for it ("sale", "refund", "coupon")


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _receipt(p: dict, f: dict) -> dict:
    sale = f["sale"]
    return {"station": sale["station"], "litres": _litres(sale["litres_ml"]),
            "amount": sale["payable_fen"], "points": sale["points"], "balance": sale["points_balance"],
            "time": sale["at"]}


def _litres(ml: int) -> str:
    # Millilitres -> "30.00L" without floats.
    return f"{ml // 1000}.{(ml % 1000) // 10:02d}L"


def _refund(p: dict, f: dict) -> dict:
    refund = f["refund"]
    return {"station": refund["station"], "amount": refund["amount_fen"], "points": refund["points_reversed"],
            "time": refund["at"]}


def _balance_low(p: dict, f: dict) -> dict:
    return {"balance": int(p["balance_fen"]), "threshold": int(p["threshold_fen"]), "note": "储值余额不足，请及时充值"}


def _tier(p: dict, f: dict) -> dict:
    return {"tier": p["tier"], "previous": p.get("previous") or "-", "note": "会员等级已变更"}


def _coupon_issued(p: dict, f: dict) -> dict:
    return {"coupon": p["title"], "valid_until": _day(p["valid_until"]), "note": "优惠券已到账"}


def _points_expiring(p: dict, f: dict) -> dict:
    return {"points": int(p["points"]), "expires_on": _day(p["expires_on"]), "days": int(p["days"]),
            "note": f"{int(p['points'])}积分将于{int(p['days'])}天内过期"}


def _coupon_expiring(p: dict, f: dict) -> dict:
    return {"count": int(p["count"]), "expires_on": _day(p["expires_on"]),
            "note": f"{int(p['count'])}张优惠券即将过期"}


def _birthday(p: dict, f: dict) -> dict:
    coupon = f.get("coupon")
    return {"coupon": coupon["title"] if coupon else None, "note": "生日快乐"}


def _recall(p: dict, f: dict) -> dict:
    coupon = f.get("coupon")
    return {"coupon": coupon["title"] if coupon else None, "days": int(p["days_since_visit"]), "note": "好久不见"}


def _campaign(p: dict, f: dict) -> dict:
    """The arm's own messages per channel (loyalty/campaigns): the chat text, the SMS text
    (the chat text when none)."""
    arm, coupon = f.get("campaign") or {}, f.get("coupon")
    text = arm.get("message") or ""
    return {"text": text, "sms_text": arm.get("sms_text") or text,
            "coupon": coupon["title"] if coupon else None, "points": int(p.get("points") or 0)}


def _inspection(p: dict, f: dict) -> dict:
    return {"plate": p["plate"], "due_on": _day(p["due_on"]), "note": "车辆年检即将到期"}


def _survey(p: dict, f: dict) -> dict:
    sale = f["sale"]
    return {"station": sale["station"], "time": sale["at"], "sale_id": int(p["sale_id"])}


def _feedback_answer(p: dict, f: dict) -> dict:
    return {"number": p["number"], "answer": p["answer"], "note": "您的反馈已回复"}


def _invoice_issued(p: dict, f: dict) -> dict:
    return {"invoice_no": p["invoice_no"], "amount": int(p["amount_fen"]), "pdf_url": p["pdf_url"],
            "note": "电子发票已开具"}


def _invoice_rejected(p: dict, f: dict) -> dict:
    return {"amount": int(p["amount_fen"]), "reason": p["note"], "note": "发票申请未通过"}


T, S, C, M = Channel.TEMPLATE, Channel.SUBSCRIBE, Channel.CUSTOM, Channel.SMS
SPECS: dict[Kind, KindSpec] = {spec.kind: spec for spec in (
    KindSpec(Kind.RECEIPT, Category.SERVICE, True, (T, C), _receipt, ("sale",)),
    KindSpec(Kind.REFUND, Category.SERVICE, True, (T, C), _refund, ("refund",)),
    KindSpec(Kind.BALANCE_LOW, Category.SERVICE, True, (T, C), _balance_low),
    KindSpec(Kind.TIER_UP, Category.SERVICE, False, (T, C), _tier),
    KindSpec(Kind.TIER_DOWN, Category.SERVICE, False, (T, C), _tier),
    KindSpec(Kind.COUPON_ISSUED, Category.SERVICE, False, (T, C), _coupon_issued),
    # Reminders: a subscription notice while the member has an acceptance, else the
    # template (points and coupon expiry are service notices WeChat allows).
    KindSpec(Kind.POINTS_EXPIRING, Category.REMINDER, False, (S, T, C), _points_expiring),
    KindSpec(Kind.COUPON_EXPIRING, Category.REMINDER, False, (S, T, C), _coupon_expiring),
    # Not a template category WeChat offers: a subscription notice or the chat window.
    KindSpec(Kind.INSPECTION, Category.REMINDER, False, (S, C), _inspection),
    # The survey asks for a 1-5 reply in the chat: the chat window first.
    KindSpec(Kind.SURVEY, Category.SERVICE, False, (C, S), _survey, ("sale",)),
    # The console's answers (loyalty/service/inbox.py): the answer itself reads best in the
    # chat; an invoice is a service notice with a template category of its own.
    KindSpec(Kind.FEEDBACK_ANSWER, Category.SERVICE, False, (C, S, T), _feedback_answer),
    KindSpec(Kind.INVOICE_ISSUED, Category.SERVICE, False, (T, S, C), _invoice_issued),
    KindSpec(Kind.INVOICE_REJECTED, Category.SERVICE, False, (C, S, T), _invoice_rejected),
    # Marketing: the chat window or SMS, never a template message or a subscription notice.
    KindSpec(Kind.BIRTHDAY, Category.MARKETING, False, (C, M), _birthday, ("coupon",)),
    KindSpec(Kind.RECALL, Category.MARKETING, False, (C, M), _recall, ("coupon",)),
    KindSpec(Kind.CAMPAIGN, Category.MARKETING, False, (C, M), _campaign, ("coupon", "campaign")),
)}

assert all(T not in s.channels and S not in s.channels for s in SPECS.values() if s.category is Category.MARKETING)
assert set(SPECS) == set(Kind)


def spec(kind: str) -> KindSpec:
    """The catalogue entry of `kind` (KeyError for a kind nobody declared)."""
    return SPECS[Kind(kind)]


def fields(kind: str, payload: dict, facts: dict) -> dict[str, Any]:
    """The named fields of a notice: what its senders format."""
    return spec(kind).fields(payload, facts)
