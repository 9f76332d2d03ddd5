"""Tiers: the starting tier, the qualifying metric, upgrades at once after a sale (with
the upgrade reward), downgrades only at the periodic review, and the member's progress.

The ladder is the non-trial tiers by rank; a member qualifies for the highest whose
threshold the metric reaches. The metric (policy.tier_metric) runs over the rolling
window of policy.tier_window_days business days ending with `now`'s, summed from the
member's daily totals (loyalty.till.daily_totals: refunds take litres and amount back in
proportion, a fully refunded sale is no visit). Everything here flushes and never
commits: the caller owns the transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

from sqlalchemy import and_, func, insert, not_, or_, select, update

from extensions import db
from loyalty import policy as policies
from loyalty.errors import ValidationError
from loyalty.books.ledger import as_utc, utc
from loyalty.policy import BUSINESS_TZ, Policy
from loyalty.benefits import tier_rewards
from loyalty.benefits.tier_rewards import reward_window_start  # noqa: F401 (its old home)
from loyalty.rules.engine import format_decimal
from loyalty.till import daily_totals
from models import DailyTotal, Member, Tier, TierChange



def ladder() -> list[Tier]:
    """The tiers a metric can reach (trial-only tiers left out), lowest first."""
    return list(db.session.scalars(select(Tier).where(not_(Tier.is_trial)).order_by(Tier.rank)))


def qualified(tiers: list[Tier], value: int) -> Tier | None:
    """The highest tier of `tiers` (a ladder, lowest first) whose threshold `value` reaches."""
    reached = [t for t in tiers if t.threshold <= value]
    return reached[-1] if reached else None


def _metric_column(metric_name: str):
    if metric_name not in daily_totals.METRIC_COLUMNS:
        raise ValueError(f"unknown tier metric {metric_name!r}")
    return daily_totals.METRIC_COLUMNS[metric_name]


def metric(member: Member, *, now: datetime | None = None, policy: Policy | None = None) -> int:
    """The member's qualifying metric over the rolling window: millilitres ("litres"), fen
    paid less refunded ("amount") or sales not fully refunded ("visits"). One statement
    over at most tier_window_days daily rows."""
    now, policy = utc(now), policy or policies.current()
    _metric_column(policy.tier_metric)
    return int(db.session.scalar(select(daily_totals.window_total(
        member.id, policy.tier_metric, daily_totals.business_day(now), policy.tier_window_days))))


def assign_starting_tier(member: Member, tier_code: str | None = None, *, now: datetime | None = None,
                         policy: Policy | None = None) -> TierChange | None:
    """Put a new member in `tier_code`, else in the trial tier for policy.tier_trial_days
    when policy.tier_trial_code is set, else in the lowest tier. With no tiers configured
    yet, nothing happens (None). Raises ValidationError for an unknown `tier_code`."""
    now, policy = utc(now), policy or policies.current()
    trial = tier_code is None and policy.tier_trial_code is not None
    code = tier_code or policy.tier_trial_code
    if code is None:
        tier = next(iter(ladder()), None)
        if tier is None:  # no tiers yet (a fresh database before the rules are loaded)
            return None
    else:
        tier = db.session.scalars(select(Tier).where(Tier.code == code)).first()
        if tier is None:
            raise ValidationError("会员等级不存在", field="tier_trial_code" if trial else "tier_code", code=code)
    member.tier_id, member.tier_since = tier.id, now
    member.trial_until = now + timedelta(days=policy.tier_trial_days) if trial else None
    return record_change(member.id, None, tier.id, "initial", None, now)


def record_change(member_id: int, from_id: int | None, to_id: int, reason: str, value: int | None,
                  now: datetime) -> TierChange:
    """One row of the member's tier history (flushed)."""
    change = TierChange(member_id=member_id, from_tier_id=from_id, to_tier_id=to_id, reason=reason,
                        metric_value=value, at=now)
    db.session.add(change)
    db.session.flush()
    return change


def after_sale(member: Member, *, now: datetime | None = None, policy: Policy | None = None,
               value: int | None = None) -> TierChange | None:
    """After a sale (flushed): upgrade the member at once if the metric reached a higher
    tier, and give the upgrade reward of every level reached on the way, once per level
    per reward window. Never downgrades. A member on trial whose metric reaches the trial
    tier (or above) keeps it for good. Returns the change, or None.

    `value`: the metric with this sale, when the caller knows it (a sale reads the window
    under its accounts lock); otherwise it is read. The member row is locked (and read
    again) only when the tier moves."""
    from loyalty import reference
    now, policy = utc(now), policy or policies.current()
    book = reference.current()
    tiers = book.ladder
    if value is None:
        value = metric(member, now=now, policy=policy)
    if _upgrade(tiers, value, book.tier(member.tier_id), member.trial_until is not None) is None:
        return None
    member = db.session.scalars(select(Member).where(Member.id == member.id).with_for_update()
                                .execution_options(populate_existing=True)).one()
    current, on_trial = book.tier(member.tier_id), member.trial_until is not None
    reached = _upgrade(tiers, value, current, on_trial)
    if reached is None:
        return None
    # A trial was a gift, not a level reached: rewards count from the bottom of the ladder.
    floor_rank = tiers[0].rank if on_trial or current is None else current.rank
    change = record_change(member.id, current.id if current else None, reached.id,
                           "upgrade" if current else "initial", value, now)
    member.tier_id, member.tier_since, member.trial_until = reached.id, now, None
    if current is not None and reached.rank > current.rank:
        from loyalty.notices import events
        events.tier_up(member.id, change.id, reached, current)
    for tier in tiers:
        if floor_rank < tier.rank <= reached.rank:
            tier_rewards.give(member, tier, now, policy)
    db.session.flush()
    return change


def _upgrade(tiers, value: int, current, on_trial: bool):
    """The tier `value` lifts the member to from `current`, or None: never down, and the same
    rank only to confirm a trial."""
    reached = qualified(tiers, value)
    if reached is None or (current is not None and (reached.rank < current.rank
                                                    or (reached.rank == current.rank and not on_trial))):
        return None
    return reached


def review(now: datetime | None = None, policy: Policy | None = None) -> dict[str, int]:
    """The periodic review, set-based: one GROUP BY computes the metric of every member who
    may move, then one UPDATE per target tier. Ends expired trials (to the tier the metric
    earns; a trial the metric confirms is kept), and moves members below their tier's
    threshold down to the tier the metric earns, unless they got their tier less than
    policy.tier_grace_days ago. Returns counts: downgraded, trials_ended, trials_kept."""
    now, policy = utc(now), policy or policies.current()
    tiers = ladder()
    counts = {"downgraded": 0, "trials_ended": 0, "trials_kept": 0, "upgrades_reversed": 0}
    if not tiers:
        return counts
    # First, so a reversed member (tier_since = now) is not also taken for a downgrade below.
    from loyalty.benefits import tier_refunds
    counts["upgrades_reversed"] = tier_refunds.reverse_undone(tiers, now, policy)
    # The metric as a correlated subquery: one index range of the member's daily totals per
    # candidate, whatever the planner guesses of how many candidates there are (a join
    # read all ten million daily totals of a big chain to keep the 2% below their tier).
    value = (select(func.coalesce(func.sum(_metric_column(policy.tier_metric)), 0))
             .where(DailyTotal.member_id == Member.id,
                    daily_totals.in_window(daily_totals.business_day(now), policy.tier_window_days))
             .scalar_subquery())
    trial_over = and_(Member.trial_until.is_not(None), Member.trial_until <= now)
    below = and_(Member.trial_until.is_(None), Tier.threshold > 0,
                 or_(Member.tier_since.is_(None), Member.tier_since <= now - timedelta(days=policy.tier_grace_days)))
    rows = db.session.execute(
        select(Member.id, Member.tier_id, Member.trial_until, Tier.rank, Tier.threshold, value.label("value"))
        .join(Tier, Tier.id == Member.tier_id)
        .where(or_(trial_over, below))).all()
    moves: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
    kept: list[int] = []
    for member_id, tier_id, trial_until, rank, threshold, metric_value in rows:
        if trial_until is None and metric_value >= threshold:
            continue  # still earns the tier
        target = qualified(tiers, int(metric_value)) or tiers[0]
        if trial_until is not None and target.id == tier_id:
            kept.append(member_id)
        elif trial_until is not None or target.rank < rank:
            reason = "trial_end" if trial_until is not None else "downgrade"
            moves.setdefault((target.id, reason), []).append((member_id, tier_id, int(metric_value)))
    for start in range(0, len(kept), 500):
        db.session.execute(update(Member).where(Member.id.in_(kept[start:start + 500])).values(trial_until=None))
    counts["trials_kept"] = len(kept)
    every = {t.id: t for t in db.session.scalars(select(Tier))}  # a trial-only tier is not on the ladder
    names = {t.id: t.name for t in every.values()}
    for (target_id, reason), movers in moves.items():
        for start in range(0, len(movers), 500):
            chunk = movers[start:start + 500]
            db.session.execute(update(Member).where(Member.id.in_([m[0] for m in chunk]))
                               .values(tier_id=target_id, tier_since=now, trial_until=None))
            db.session.execute(insert(TierChange), [
                {"member_id": m, "from_tier_id": old, "to_tier_id": target_id, "reason": reason,
                 "metric_value": v, "at": now} for m, old, v in chunk])
            down = [(m, old) for m, old, _ in chunk if every[old].rank > every[target_id].rank]
            if down:
                from loyalty.notices import events
                events.tier_down(down, every[target_id], names, now)
        counts["downgraded" if reason == "downgrade" else "trials_ended"] += len(movers)
    db.session.flush()
    return counts


class Privileges(NamedTuple):
    per_litre_discount_fen: int
    points_multiplier: Decimal
    perks: str | None


def privileges(tier: Tier | None) -> Privileges:
    """What a tier gives: fen off every litre, the points multiplier, the perks text.
    No tier: nothing (0, 1, None)."""
    if tier is None:
        return Privileges(0, Decimal(1), None)
    return Privileges(tier.per_litre_discount_fen, Decimal(tier.points_multiplier), tier.perks)


@dataclass(frozen=True)
class Progress:
    tier: Tier | None
    next_tier: Tier | None
    metric: str  # litres | amount | visits
    value: int  # the metric in its stored unit: millilitres, fen or visits
    remaining: Decimal | int | None  # to next_tier: litres (Decimal), fen, or visits
    trial_until: datetime | None
    text: str  # the sentence for the member


def progress(member: Member, *, now: datetime | None = None, policy: Policy | None = None) -> Progress:
    """Where the member stands: tier, next tier, metric value, what is left to reach the
    next tier (litres as Decimal, amount in fen, visits) and a Chinese sentence such as
    "再加油 120.5 升即可升级金卡". On trial, the next tier is the trial tier itself until
    the metric confirms it."""
    now, policy = utc(now), policy or policies.current()
    value = metric(member, now=now, policy=policy)
    tier = db.session.get(Tier, member.tier_id) if member.tier_id else None
    trial_until = as_utc(member.trial_until)
    above = [t for t in ladder() if tier is None or t.rank > tier.rank
             or (trial_until is not None and t.rank == tier.rank)]
    next_tier = next((t for t in above if t.threshold > value), None)
    if next_tier is None:
        text = f"您已是最高等级{tier.name}" if tier else "暂无会员等级"
        return Progress(tier, None, policy.tier_metric, value, None, trial_until, text)
    left = next_tier.threshold - value
    if policy.tier_metric == "litres":
        remaining = Decimal(left) / 1000
        shown = f"再加油 {format_decimal(remaining.quantize(Decimal('0.01'), rounding=ROUND_CEILING))} 升"
    elif policy.tier_metric == "amount":
        remaining, shown = left, f"再消费 {left // 100}.{left % 100:02d} 元".replace(".00 元", " 元")
    else:
        remaining, shown = left, f"再消费 {left} 次"
    if trial_until is not None and next_tier.id == tier.id:
        day = trial_until.astimezone(BUSINESS_TZ).date()
        text = f"{tier.name}体验期至 {day:%Y-%m-%d}，{shown}即可正式成为{tier.name}"
    else:
        text = f"{shown}即可升级{next_tier.name}"
    return Progress(tier, next_tier, policy.tier_metric, value, remaining, trial_until, text)
