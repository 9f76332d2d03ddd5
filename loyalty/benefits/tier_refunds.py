"""Upgrades a refund undid: found and reversed at the review, their rewards taken back.

An upgrade is undone when the metric over the window that decided it (the window ending
at the upgrade), counted with today's refunds, no longer reaches the tier it gave: the
refunded part of the sales behind it is what lifted the member. If the metric now is
below that tier too, the review moves the member down to the tier the metric earns
whatever the grace period (grace protects a tier earned, not one refunded away), and
takes back the rewards that upgrade gave for every level above the new tier
(loyalty.benefits.tier_rewards.take_back). A member whose later sales now reach the tier
keeps it and its reward. Flushes, never commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from extensions import db
from loyalty.benefits import tier_rewards, tiers
from loyalty.books.ledger import as_utc
from loyalty.people.members import lock_accounts
from loyalty.policy import Policy
from models import Member, Sale, SaleRefund, Tier, TierChange, TierReward


def reverse_undone(ladder: list[Tier], now: datetime, policy: Policy) -> int:
    """Reverse every upgrade a refund undid (see the module docstring); how many.

    One statement finds the candidates: members whose latest tier change is the upgrade
    to their tier, with a refund recorded after it of a sale made at or before it. Only
    those (few: members refunded since their upgrade) are then measured one by one."""
    latest = select(TierChange.member_id, func.max(TierChange.id).label("id")) \
        .group_by(TierChange.member_id).subquery()
    refunded_since = (select(SaleRefund.id).join(Sale, Sale.id == SaleRefund.sale_id)
                      .where(Sale.member_id == Member.id, Sale.created_at <= TierChange.at,
                             SaleRefund.created_at > TierChange.at).exists())
    candidates = db.session.execute(
        select(Member.id, TierChange.id).join(latest, latest.c.member_id == Member.id)
        .join(TierChange, TierChange.id == latest.c.id)
        .where(TierChange.reason.in_(("upgrade", "initial")), TierChange.metric_value.is_not(None),
               TierChange.to_tier_id == Member.tier_id, Member.trial_until.is_(None), refunded_since)
        .order_by(Member.id)).all()
    by_id = {t.id: t for t in ladder}
    reversed_count = 0
    for member_id, change_id in candidates:
        # Locked in a sale's order (the accounts, then the member row, see
        # loyalty.till.sales), so a sale cannot upgrade them meanwhile and neither waits
        # for the other crosswise; the claw-backs below then find their accounts locked.
        lock_accounts(db.session.get(Member, member_id))
        member = db.session.scalars(select(Member).where(Member.id == member_id).with_for_update()
                                    .execution_options(populate_existing=True)).one()
        change = db.session.get(TierChange, change_id)
        tier = by_id.get(member.tier_id)
        if tier is None or member.tier_id != change.to_tier_id:
            continue
        if tiers.metric(member, now=as_utc(change.at), policy=policy) >= tier.threshold:
            continue  # the upgrade stands even with the refunds
        value = tiers.metric(member, now=now, policy=policy)
        target = tiers.qualified(ladder, value) or ladder[0]
        if target.rank >= tier.rank:
            continue  # later sales earn the tier anyway
        tiers.record_change(member.id, tier.id, target.id, "downgrade", value, now)
        member.tier_id, member.tier_since = target.id, now
        above = [t.id for t in ladder if target.rank < t.rank <= tier.rank]
        for reward in db.session.scalars(select(TierReward).where(
                TierReward.member_id == member.id, TierReward.tier_id.in_(above),
                TierReward.at == change.at, TierReward.reversed_at.is_(None))):
            tier_rewards.take_back(reward, now)
        reversed_count += 1
    db.session.flush()
    return reversed_count
