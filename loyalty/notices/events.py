"""The event-caused notice kinds, written in their cause's transaction (flush only):
balance_low (a payment crossed the threshold), tier_up (an upgrade at a sale), tier_down
(the review, set-based), coupon_issued. Receipts and refunds are written by
loyalty/till (sales.py, refunds.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from extensions import db
from loyalty import outbox
from loyalty.policy import BUSINESS_TZ, Policy
from models import Account, Outbox, Tier

# Coupons that come with a notice of their own (birthday, recall) say so there.
QUIET_COUPON_SOURCES = ("birthday", "campaign", "trigger")


def balance_low(account: Account, before: int, after: int, *, key: str, cause_type: str,
                cause_ref: str | None, policy: Policy) -> None:
    """When a payment takes the balance from at or above the threshold to below it:
    one notice, not one a day while the member stays there."""
    threshold = policy.low_balance_threshold_fen
    if account.member_id is None or not (before >= threshold > after):
        return
    sale_id = int(cause_ref) if cause_type == "sale" and cause_ref and cause_ref.isdigit() else None
    outbox.add("balance_low", f"balance_low:{key}",
               {"balance_fen": after, "threshold_fen": threshold, "sale_id": sale_id},
               member_id=account.member_id, new=True)


def tier_up(member_id: int, change_id: int, tier: Tier, previous: Tier | None) -> None:
    outbox.add("tier_up", f"tier_up:{change_id}", {"tier": tier.name, "previous": previous.name if previous else None},
               member_id=member_id, new=True)


def tier_down(moves: list[tuple[int, int]], target: Tier, names: dict[int, str], now: datetime) -> None:
    """One set-based INSERT for a chunk of downgraded members: (member id, old tier id).
    The dedup key holds the business day, so a rerun of the day's review writes nothing twice."""
    import json
    day = now.astimezone(BUSINESS_TZ).date().isoformat()
    keys = [f"tier_down:{m}:{day}" for m, _ in moves]
    taken = set(db.session.scalars(select(Outbox.dedup_key).where(Outbox.dedup_key.in_(keys))))
    rows = [{"kind": "tier_down", "dedup_key": k, "member_id": m,
             "payload": json.dumps({"tier": target.name, "previous": names.get(old)}, ensure_ascii=False,
                                   sort_keys=True)}
            for (m, old), k in zip(moves, keys) if k not in taken]
    if rows:
        db.session.execute(insert(Outbox), rows)


def coupon_issued(coupon, template_name: str, source: str) -> None:
    if source in QUIET_COUPON_SOURCES:
        return
    valid_until = coupon.valid_until.astimezone(BUSINESS_TZ).date().isoformat()
    outbox.add("coupon_issued", f"coupon_issued:{coupon.id}",
               {"coupon_id": coupon.id, "title": template_name, "valid_until": valid_until},
               member_id=coupon.member_id, new=True)
