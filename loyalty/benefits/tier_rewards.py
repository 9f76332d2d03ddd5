"""Upgrade rewards: given once per level per reward window, taken back when a refund
undoes the upgrade (see loyalty.benefits.tier_refunds). Flushes, never commits."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from loyalty import policy as policies
from loyalty.books.ledger import as_utc, utc
from loyalty.errors import NotFound, ValidationError
from loyalty.policy import BUSINESS_TZ, Policy
from models import Coupon, LedgerEntry, Member, Tier, TierReward

log = logging.getLogger(__name__)


def reward_window_start(member: Member, *, now: datetime | None = None, policy: Policy | None = None) -> date:
    """The first business day of the member's current reward window: windows of
    policy.tier_window_days laid end to end from the day the member joined."""
    now, policy = utc(now), policy or policies.current()
    joined = (as_utc(member.created_at) or now).astimezone(BUSINESS_TZ).date()
    days = (now.astimezone(BUSINESS_TZ).date() - joined).days
    return joined + timedelta(days=days - days % policy.tier_window_days)


def give(member: Member, tier: Tier, now: datetime, policy: Policy) -> None:
    """The tier's upgrade reward (points, coupon), unless this window already had it. A
    reward the review took back is given again when the level is really reached."""
    if not tier.upgrade_reward_points and not tier.upgrade_reward_coupon:
        return
    window = reward_window_start(member, now=now, policy=policy)
    dialect = db.session.get_bind().dialect.name
    claim = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TierReward).values(
        member_id=member.id, tier_id=tier.id, window_start=window, points=tier.upgrade_reward_points,
        coupon_template=tier.upgrade_reward_coupon, at=now)
    # The unique (member, tier, window) decides, also between two racing sales.
    reward_id = db.session.scalar(claim.on_conflict_do_nothing(
        index_elements=["member_id", "tier_id", "window_start"]).returning(TierReward.id))
    key = f"tier-reward:{member.id}:{tier.id}:{window}"
    if reward_id is None:
        reward_id = db.session.scalar(
            update(TierReward).where(TierReward.member_id == member.id, TierReward.tier_id == tier.id,
                                     TierReward.window_start == window, TierReward.reversed_at.is_not(None))
            .values(reversed_at=None, at=now, points=tier.upgrade_reward_points, ledger_entry_id=None,
                    coupon_template=tier.upgrade_reward_coupon, coupon_id=None)
            .returning(TierReward.id).execution_options(synchronize_session=False))
        if reward_id is None:
            return
        key = f"{key}:again:{now:%Y%m%dT%H%M%S.%f}"  # the first grant's entry was clawed back
    reward = db.session.get(TierReward, reward_id, populate_existing=True)
    if tier.upgrade_reward_points:
        from loyalty.books import points
        from loyalty.people.members import account_of
        reward.ledger_entry_id = points.earn(
            account_of(member, "points"), tier.upgrade_reward_points, key=key, cause_type="tier_reward",
            cause_ref=str(reward_id), memo=f"升级{tier.name}奖励", now=now, policy=policy).id
    if tier.upgrade_reward_coupon:
        from loyalty.benefits import coupons
        try:
            reward.coupon_id = coupons.issue(member, tier.upgrade_reward_coupon, key=key, source="upgrade",
                                             now=now).id
        except (NotFound, ValidationError) as exc:
            # A template an operator stopped or let lapse must not fail the member's sale at
            # the pump: the upgrade stands, the coupon is skipped, and the log says why.
            log.warning("tier reward coupon %s not issued to member %s: %s", tier.upgrade_reward_coupon,
                        member.id, exc.message)


def take_back(reward: TierReward, now: datetime) -> None:
    """Reverse an upgrade reward: its points clawed back under the points policy (from
    wherever they are now; what was spent is written off), its coupon voided if unused
    (a used coupon is written off likewise)."""
    if reward.ledger_entry_id is not None:
        from loyalty.books import points
        earn = db.session.get(LedgerEntry, reward.ledger_entry_id)
        points.claw_back(earn, earn.amount, key=f"tier-reward:{earn.id}:reversal", cause_type="tier_reward",
                         cause_ref=str(reward.id), now=now)
    if reward.coupon_id is not None:
        db.session.execute(update(Coupon).where(Coupon.id == reward.coupon_id, Coupon.status == "issued")
                           .values(status="void").execution_options(synchronize_session=False))
    reward.reversed_at = now
