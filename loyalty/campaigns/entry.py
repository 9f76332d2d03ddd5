"""Entering members into a campaign, set-based: a handful of statements, whatever the
number of members.

1. `campaign_batch` (a temporary table): the members of the segment (and, for a
   trigger campaign, the trigger) who have not entered yet, or whose last entry is
   older than the cooldown; each with their arm — the one recorded, else the one the
   hash gives (loyalty.campaigns.assignment, computed here in SQL);
2. the new assignments into campaign_members (one row per member and campaign: the
   primary key), the returning members' entry count and time;
3. per arm that is not the holdout: its coupon (loyalty.reminders.issue, the producers'
   own set-based issue), its points (ledger entries, lots and balances, three
   statements) and the `campaign` outbox row that tells the member, all keyed by
   `campaign:<campaign>:<member>:<day>`, so a rerun the same day adds nothing. The
   holdout gets nothing at all. The pushes go out through the outbox's sweeper and
   fan-out (jobs/notify.py) and the channel policy (marketing: never a template
   message, opt-in, the weekly cap, quiet hours).

Flushes, never commits: the caller owns the transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from extensions import db
from loyalty import generations
from loyalty import policy as policies
from loyalty.books.points.lots import expiry_instant
from loyalty.campaigns import assignment, filters
from loyalty.reminders import issue, sql
from models import Campaign, CouponTemplate

KIND = "campaign"
BATCH = "campaign_batch"


def cuts_of(campaign: Campaign) -> list[assignment.Cut]:
    holdout = next(a for a in campaign.arms if a.holdout)
    return assignment.cuts((holdout.id, campaign.holdout_bp),
                           [(a.id, a.weight) for a in campaign.arms if not a.holdout])


def _select_batch(campaign: Campaign, now: datetime) -> filters.Context:
    from loyalty.campaigns.segments import members_sql
    ctx = filters.context(now)
    specs = list(campaign.segment.filters) + ([campaign.trigger] if campaign.schedule == "trigger" else [])
    chosen = members_sql(specs, ctx)
    bucket = assignment.bucket_sql(str(int(campaign.id)), "c.member_id", sql.postgres())
    again = ""
    if campaign.cooldown_days:
        again = f"OR cm.last_entered_at <= {ctx.bind(now - timedelta(days=campaign.cooldown_days))}"
    sql.run(f"DROP TABLE IF EXISTS {BATCH}")
    sql.run(f"""CREATE TEMPORARY TABLE {BATCH} AS
        SELECT t.member_id, COALESCE(t.arm_id, {assignment.arm_sql('t.b', cuts_of(campaign))}) AS arm_id,
               CASE WHEN t.arm_id IS NULL THEN 1 ELSE 0 END AS fresh
        FROM (SELECT c.member_id, cm.arm_id, CASE WHEN cm.arm_id IS NULL THEN {bucket} END AS b
              FROM ({chosen}) c
              LEFT JOIN campaign_members cm ON cm.campaign_id = {int(campaign.id)} AND cm.member_id = c.member_id
              WHERE cm.member_id IS NULL {again}) t""", **ctx.binds)
    filters.cleanup(ctx)
    return ctx


def enter(campaign: Campaign, now: datetime) -> dict[str, int]:
    """Enter today's members (see the module); returns counts: entered (all arms),
    fresh (first entries), notices (outbox rows), coupons and points entries."""
    sql.lock(f"campaign:{campaign.id}")
    _select_batch(campaign, now)
    cid = int(campaign.id)
    counts = {"entered": int(db.session.execute(text(f"SELECT count(*) FROM {BATCH}")).scalar())}
    counts["fresh"] = sql.run(f"""INSERT INTO campaign_members (campaign_id, member_id, arm_id, entered_at,
                                                              window_ends_at, last_entered_at, entries)
        SELECT {cid}, member_id, arm_id, :now, :window_end, :now, 1 FROM {BATCH} WHERE fresh = 1""",
                              now=now, window_end=now + timedelta(days=campaign.window_days))
    sql.run(f"""UPDATE campaign_members SET last_entered_at = :now, entries = entries + 1
                WHERE campaign_id = {cid} AND member_id IN (SELECT member_id FROM {BATCH} WHERE fresh = 0)""",
            now=now)
    tail = f":{sql.business_day(now).isoformat()}"
    key = f"'{KIND}:{cid}:' || {sql.as_text('t.member_id')} || :key_tail"
    counts.update(notices=0, points=0)
    for arm in campaign.arms:
        if arm.holdout:
            continue
        members = f"SELECT member_id FROM {BATCH} WHERE arm_id = {int(arm.id)}"
        if arm.points:
            counts["points"] += _credit_points(members, arm.points, cid, tail, now)
        fixed = f'"arm_id": {int(arm.id)}, "campaign_id": {cid}'
        if arm.coupon_template_id is None:  # a message (and points) only: no coupon to look for
            plain = f'{{{fixed}, "coupon_id": null, "points": {int(arm.points or 0)}}}'
            counts["notices"] += sql.run(f"""{sql.OUTBOX_INSERT}
                SELECT '{KIND}', {key}, t.member_id, '{plain}', :now
                FROM ({members}) t WHERE true ON CONFLICT (dedup_key) DO NOTHING""", now=now, key_tail=tail)
            continue
        template = issue.template_for(db.session.get(CouponTemplate, arm.coupon_template_id).code, now)
        payload = (f"""'{{{fixed}, "coupon_id": ' || """
                   f"""COALESCE({sql.as_text('c.id')}, 'null') || ', "points": {int(arm.points or 0)}}}'""")
        counts["notices"] += issue.coupons_and_notices(KIND, members, key, payload, source="campaign",
                                                       template=template, now=now, key_tail=tail)
    sql.run(f"DROP TABLE {BATCH}")
    return counts


def _credit_points(members: str, points: int, cid: int, tail: str, now: datetime) -> int:
    """`points` to each member's own points account as an earn entry and a lot expiring as
    earned points do, and the balances: set-based, keyed like the notices (a rerun adds
    nothing). Members whose points live in a family pool get none (a next step)."""
    policy = policies.current()
    key = f"'{KIND}:{cid}:' || {sql.as_text('t.member_id')} || :key_tail"
    credited = sql.run(f"""INSERT INTO ledger_entries (account_id, kind, amount, cause_type, cause_ref,
                                                       idempotency_key, memo, created_at)
        SELECT a.id, 'earn', {int(points)}, 'campaign', '{cid}', {key}, '营销活动赠送积分', :now
        FROM ({members}) t JOIN accounts a ON a.member_id = t.member_id AND a.kind = 'points'
        WHERE true
        ON CONFLICT (idempotency_key) DO NOTHING""", now=now, key_tail=tail)
    if not credited:
        return 0
    sql.run(f"""INSERT INTO point_lots (account_id, entry_id, origin_entry_id, amount, remaining, earned_at,
                                       available_at, expires_at)
        SELECT e.account_id, e.id, e.id, e.amount, e.amount, :now, :available, :expires
        FROM ({members}) t JOIN ledger_entries e ON e.idempotency_key = {key}
        WHERE e.created_at = :now AND NOT EXISTS (SELECT 1 FROM point_lots l WHERE l.entry_id = e.id)""",
            now=now, key_tail=tail, available=now + timedelta(days=policy.points_pending_days),
            expires=expiry_instant(now, policy.points_expiry_months))
    sql.run(f"""UPDATE accounts SET balance = balance + {int(points)}
        WHERE id IN (SELECT e.account_id FROM ({members}) t JOIN ledger_entries e ON e.idempotency_key = {key}
                     WHERE e.created_at = :now)""", now=now, key_tail=tail)
    generations.touch(generations.EVERYTHING)  # set-based writes to the books
    return credited
