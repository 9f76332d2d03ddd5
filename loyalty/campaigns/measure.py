"""What a campaign did: per arm, over each member's conversion window (window_days from
their first entry; the holdout's members from the same moment), set-based.

- members; conversions (the campaign's `conversion`: any visit — a sale not wholly
  refunded —, a sale paying at least min_amount_fen, or the campaign's coupon used; the
  holdout has no coupon, so there "n/a") and the rate;
- litres (ml) and amount (fen, less refunds) in the window, in total and per member;
- coupons issued and used, their cost (the discounts the used ones gave), points given;
- against the holdout: the lift (loyalty.campaigns.stats), and the incremental litres
  and amount — the arm's total less what the holdout's per-member figure predicts for
  as many members — the amount also net of the coupon cost. Integers throughout.
- the conversions over the window: per arm, the cumulative share converted by day.

Reads only. One statement over the sales for the figures and the days, one over the
coupons, one over the ledger.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from sqlalchemy import func, select, text

from extensions import db
from loyalty.books.ledger import as_utc, utc
from loyalty.campaigns import stats
from loyalty.reminders import sql
from models import Campaign, CampaignMember


@dataclass
class ArmReport:
    code: str
    holdout: bool
    members: int = 0
    conversions: int | None = 0
    litres_ml: int = 0
    amount_fen: int = 0
    coupons_issued: int = 0
    coupons_used: int = 0
    coupon_cost_fen: int = 0
    points: int = 0
    by_day: list[int] = field(default_factory=list)   # cumulative conversions, day 0 .. window - 1
    lift: stats.Lift | None = None
    incremental_ml: int | None = None
    incremental_fen: int | None = None
    net_incremental_fen: int | None = None

    @property
    def rate(self) -> float | None:
        return None if self.conversions is None or not self.members else self.conversions / self.members

    @property
    def litres_per_member_ml(self) -> int:
        return self.litres_ml // self.members if self.members else 0

    @property
    def amount_per_member_fen(self) -> int:
        return self.amount_fen // self.members if self.members else 0


@dataclass
class Report:
    campaign: str
    conversion: str
    window_days: int
    open_windows: int      # members whose window has not ended yet
    arms: list[ArmReport]
    note: str


def _qualifies(campaign: Campaign) -> str:
    kept = "(s.refunded_fen < s.payable_fen OR s.payable_fen = 0)"
    if campaign.conversion == "sale_over":
        return f"s.payable_fen - s.refunded_fen >= {int(campaign.min_amount_fen or 0)}"
    return kept


def _day(later: str, earlier: str) -> str:
    if sql.postgres():
        return f"FLOOR(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400)"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _figures(campaign: Campaign, now: datetime):
    cid, prefix = int(campaign.id), f"campaign:{int(campaign.id)}:%"
    # The sales of all the windows lie between the first entry and the last window's end:
    # bounds the planner can take to the sales' time index (a once campaign reads 14 days).
    lo, hi = db.session.execute(select(func.min(CampaignMember.entered_at), func.max(CampaignMember.window_ends_at))
                                .where(CampaignMember.campaign_id == cid)).one()
    if lo is None:
        return []
    first = "w.first_sale"
    if campaign.conversion == "coupon_used":
        first = f"""(SELECT MIN(c.used_at) FROM coupons c WHERE c.member_id = w.member_id AND c.source = 'campaign'
                     AND c.issue_key LIKE :prefix AND c.status = 'used'
                     AND c.used_at >= w.entered_at AND c.used_at < w.window_ends_at AND c.used_at <= :now)"""
    return sql.execute(f"""
        WITH w AS (
            SELECT cm.member_id, cm.arm_id, cm.entered_at, cm.window_ends_at,
                   MIN(CASE WHEN {_qualifies(campaign)} THEN s.created_at END) AS first_sale,
                   COALESCE(SUM(s.litres_ml), 0) AS ml, COALESCE(SUM(s.payable_fen - s.refunded_fen), 0) AS fen
            FROM campaign_members cm
            LEFT JOIN sales s ON s.member_id = cm.member_id AND s.created_at >= cm.entered_at
                             AND s.created_at < cm.window_ends_at AND s.created_at <= :now
                             AND s.created_at >= :lo AND s.created_at < :hi
            WHERE cm.campaign_id = {cid}
            GROUP BY cm.member_id, cm.arm_id, cm.entered_at, cm.window_ends_at),
        f AS (SELECT w.arm_id, w.ml, w.fen, w.entered_at, {first} AS first_at FROM w)
        SELECT arm_id, CASE WHEN first_at IS NULL THEN -1 ELSE {_day('first_at', 'entered_at')} END AS day,
               COUNT(*), SUM(ml), SUM(fen)
        FROM f GROUP BY arm_id, CASE WHEN first_at IS NULL THEN -1 ELSE {_day('first_at', 'entered_at')} END""",
        now=now, prefix=prefix, lo=as_utc(lo), hi=as_utc(hi)).all()


def _coupons(campaign: Campaign):
    templates = sorted({int(a.coupon_template_id) for a in campaign.arms if a.coupon_template_id is not None})
    if not templates:  # no arm offers a coupon: nothing to read
        return []
    return db.session.execute(text(f"""
        SELECT cm.arm_id, COUNT(c.id), SUM(CASE WHEN c.status = 'used' THEN 1 ELSE 0 END),
               COALESCE(SUM(d.amount_fen), 0)
        FROM campaign_members cm
        JOIN coupons c ON c.member_id = cm.member_id AND c.source = 'campaign' AND c.issue_key LIKE :prefix
                      AND c.template_id IN ({", ".join(map(str, templates))})
        LEFT JOIN sale_discounts d ON d.sale_id = c.used_sale_id AND d.coupon_id = c.id
        WHERE cm.campaign_id = :cid GROUP BY cm.arm_id"""),
        {"cid": campaign.id, "prefix": f"campaign:{int(campaign.id)}:%"}).all()


def _points(campaign: Campaign):
    return db.session.execute(text("""
        SELECT cm.arm_id, COALESCE(SUM(e.amount), 0)
        FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
        JOIN campaign_members cm ON cm.campaign_id = :cid AND cm.member_id = a.member_id
        WHERE e.cause_type = 'campaign' AND e.cause_ref = :ref GROUP BY cm.arm_id"""),
        {"cid": campaign.id, "ref": str(campaign.id)}).all()


def _predicted(total: int, of_members: int, for_members: int) -> int:
    """What `for_members` would have done at the per-member figure of `total` / `of_members`."""
    return round(Fraction(total * for_members, of_members)) if of_members else 0


def report(campaign: Campaign, now: datetime | None = None) -> Report:
    now = utc(now)
    arms = {a.id: ArmReport(a.code, a.holdout, by_day=[0] * campaign.window_days) for a in campaign.arms}
    for arm_id, day, count, ml, fen in _figures(campaign, now):
        arm = arms[arm_id]
        arm.members += int(count)
        arm.litres_ml += int(ml or 0)
        arm.amount_fen += int(fen or 0)
        if int(day) >= 0:
            arm.conversions += int(count)
            arm.by_day[min(int(day), campaign.window_days - 1)] += int(count)
    for arm in arms.values():
        for d in range(1, len(arm.by_day)):
            arm.by_day[d] += arm.by_day[d - 1]
    for arm_id, issued, used, cost in _coupons(campaign):
        arms[arm_id].coupons_issued, arms[arm_id].coupons_used = int(issued), int(used or 0)
        arms[arm_id].coupon_cost_fen = int(cost or 0)
    for arm_id, points in _points(campaign):
        arms[arm_id].points = int(points)
    holdout = next(a for a in arms.values() if a.holdout)
    coupon_conversion = campaign.conversion == "coupon_used"
    if coupon_conversion:
        holdout.conversions = None
    for arm in arms.values():
        if arm.holdout:
            continue
        arm.incremental_ml = arm.litres_ml - _predicted(holdout.litres_ml, holdout.members, arm.members)
        arm.incremental_fen = arm.amount_fen - _predicted(holdout.amount_fen, holdout.members, arm.members)
        arm.net_incremental_fen = arm.incremental_fen - arm.coupon_cost_fen
        if not coupon_conversion:
            arm.lift = stats.compare(arm.conversions, arm.members, holdout.conversions, holdout.members)
    open_windows = int(sql.execute(
        "SELECT count(*) FROM campaign_members WHERE campaign_id = :cid AND window_ends_at > :now",
        cid=campaign.id, now=now).scalar())
    note = ""
    if coupon_conversion:
        note = "转化口径为「用券」：对照组没有券，不计算提升；看到店、金额的增量即可比较。"
    if open_windows:
        note += f"还有 {open_windows} 位会员的观察期未结束，数字还会变化。"
    ordered = [arms[a.id] for a in campaign.arms]
    return Report(campaign.code, campaign.conversion, campaign.window_days, open_windows, ordered, note)
