"""The registry of segment filters: each one a name, its parameters, and SQL over the
members table `m` (a condition, sometimes after a temporary table its `prepare` made).

A segment is a list of {"filter": name, ...params}; a member is in it when every filter
holds (and they are reachable: not erased, consented to the privacy terms). A campaign's
daily trigger is one more filter of this registry, marked `trigger`. Adding a filter is
a few lines: a function returning the condition, and `register(...)`.

Dormancy is loyalty.reminders.recall's (select_due), not written again here.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Callable

from extensions import db
from loyalty import policy as policies
from loyalty.errors import ValidationError
from loyalty.campaigns import params
from loyalty.campaigns.params import Param
from loyalty.reminders import recall, sql
from models.member import IDENTITIES

__all__ = ["Param", "Context", "Filter", "REGISTRY", "register", "clean", "conditions"]


@dataclass
class Context:
    """One evaluation: its instant and Shanghai day, the bind parameters the conditions
    add, and the temporary tables to drop afterwards."""
    now: datetime
    today: date
    binds: dict = field(default_factory=dict)
    temp_tables: list[str] = field(default_factory=list)
    counter: int = 0

    def bind(self, value) -> str:
        self.counter += 1
        name = f"f{self.counter}"
        self.binds[name] = value
        return f":{name}"

    def bind_list(self, values) -> str:
        return ", ".join(self.bind(v) for v in values)


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    params: dict[str, Param]
    where: Callable[[dict, Context], str]
    trigger: bool = False


REGISTRY: dict[str, Filter] = {}


def register(name: str, label: str, params: dict[str, Param], *, trigger: bool = False):
    def wrap(where):
        REGISTRY[name] = Filter(name, label, params, where, trigger)
        return where
    return wrap


# -- checking a filter's parameters ---------------------------------------------------------

def clean(spec) -> dict:
    """A filter spec as stored: {"filter": name, param: value, ...}, every value checked
    and defaulted. ValidationError (field "filters") for anything else."""
    if not isinstance(spec, dict) or spec.get("filter") not in REGISTRY:
        raise ValidationError(f"未知的筛选条件：{spec.get('filter') if isinstance(spec, dict) else spec}",
                              field="filters")
    the = REGISTRY[spec["filter"]]
    unknown = set(spec) - set(the.params) - {"filter"}
    if unknown:
        raise ValidationError(f"筛选条件 {the.label} 没有参数 {sorted(unknown)[0]}", field="filters")
    result = {"filter": the.name}
    for name, param in the.params.items():
        result[name] = params.check(the.label, name, param, spec.get(name, param.default))
    return result


# -- the filters ----------------------------------------------------------------------------

@register("tier", "等级", {"codes": Param("codes", label="等级代码")})
def _tier(p: dict, ctx: Context) -> str:
    return f"m.tier_id IN (SELECT t.id FROM tiers t WHERE t.code IN ({ctx.bind_list(p['codes'])}))"


@register("identity", "身份", {"values": Param("codes", choices=IDENTITIES, label="身份")})
def _identity(p: dict, ctx: Context) -> str:
    return f"m.identity IN ({ctx.bind_list(p['values'])})"


@register("station", "常去油站", {"code": Param("codes", label="油站代码"),
                              "days": Param("int", 90, 1, 3650, label="天数")})
def _station(p: dict, ctx: Context) -> str:
    from datetime import timedelta
    return f"""EXISTS (SELECT 1 FROM sales s JOIN stations st ON st.id = s.station_id
                       WHERE s.member_id = m.id AND st.code IN ({ctx.bind_list(p['code'])})
                         AND s.created_at > {ctx.bind(ctx.now - timedelta(days=p['days']))})"""


@register("consent", "同意接收", {"category": Param("choice", "marketing",
                                                choices=("marketing", "reminders", "service_notices"),
                                                label="类别")})
def _consent(p: dict, ctx: Context) -> str:
    column = p["category"]
    if column == "marketing":  # opt-in: a row saying yes
        return f"EXISTS (SELECT 1 FROM push_preferences pp WHERE pp.member_id = m.id AND pp.{column} = true)"
    return f"NOT EXISTS (SELECT 1 FROM push_preferences pp WHERE pp.member_id = m.id AND pp.{column} = false)"


@register("following", "关注公众号", {"value": Param("bool", True, label="是否关注")})
def _following(p: dict, ctx: Context) -> str:
    return f"m.following = {'true' if p['value'] else 'false'}"


def _dormant_table(ctx: Context, *, days: int | None, factor: int | None) -> str:
    """The members recall.select_due finds dormant today, into a temporary table of this
    evaluation (no marketing or recall-cooldown condition: those are the segment's and
    the campaign's)."""
    policy = policies.current()
    changes = {}
    if days is not None:
        changes.update(recall_days=days, recall_floor_days=min(days, policy.recall_floor_days))
    else:  # the median rule alone
        changes.update(recall_days=36_500)
    if factor is not None:
        changes.update(recall_median_factor=factor)
    recall.select_due(ctx.now, replace(policy, **changes), marketing_only=False, cooldown=False,
                      median=factor is not None)
    name = f"campaign_dormant_{len(ctx.temp_tables) + 1}"
    sql.run(f"DROP TABLE IF EXISTS {name}")
    sql.run(f"ALTER TABLE recall_due RENAME TO {name}")
    for table in ("recall_median", "recall_last"):
        sql.run(f"DROP TABLE {table}")
    ctx.temp_tables.append(name)
    return f"m.id IN (SELECT member_id FROM {name})"


@register("dormant", "沉睡（召回规则）", {"days": Param("int", 30, 1, 3650, label="未到店天数"),
                                    "factor": Param("int", 2, 1, 20, label="平时间隔倍数")}, trigger=True)
def _dormant(p: dict, ctx: Context) -> str:
    return _dormant_table(ctx, days=p["days"], factor=p["factor"])


@register("no_visit", "N 天未到店", {"days": Param("int", 14, 1, 3650, label="天数")}, trigger=True)
def _no_visit(p: dict, ctx: Context) -> str:
    return _dormant_table(ctx, days=p["days"], factor=None)


@register("usual_interval", "超过平时间隔的倍数未到店", {"factor": Param("int", 2, 1, 20, label="倍数")}, trigger=True)
def _usual_interval(p: dict, ctx: Context) -> str:
    return _dormant_table(ctx, days=None, factor=p["factor"])


@register("birthday_month", "本月生日", {"month": Param("optional_int", None, 1, 12, label="月份（空：本月）")},
          trigger=True)
def _birthday_month(p: dict, ctx: Context) -> str:
    month = ctx.bind(p["month"] or ctx.today.month)
    if sql.postgres():
        return f"EXTRACT(MONTH FROM m.birthday) = {month}"
    return f"CAST(strftime('%m', m.birthday) AS INTEGER) = {month}"


@register("tier_at_risk", "下次评定有降级风险", {"lead_days": Param("int", 30, 0, 365, label="提前天数")}, trigger=True)
def _tier_at_risk(p: dict, ctx: Context) -> str:
    """Below their tier's threshold on what will still count `lead_days` from now (the
    rolling window then, with nothing more bought): the review would move them down."""
    from datetime import timedelta
    policy = policies.current()
    column = {"litres": "litres_ml", "amount": "amount_fen", "visits": "visits"}[policy.tier_metric]
    since = ctx.bind(ctx.today + timedelta(days=p["lead_days"]) - timedelta(days=policy.tier_window_days))
    return f"""m.trial_until IS NULL AND EXISTS (
        SELECT 1 FROM tiers t WHERE t.id = m.tier_id AND t.threshold > 0 AND NOT t.is_trial
          AND t.threshold > (SELECT COALESCE(SUM(d.{column}), 0) FROM member_daily_totals d
                             WHERE d.member_id = m.id AND d.day > {since} AND d.day <= {ctx.bind(ctx.today)}))"""


@register("points_expiring", "积分即将过期且够兑换", {"days": Param("int", 30, 1, 365, label="天数"),
                                               "min_points": Param("optional_int", None, 1, 10**9, label="至少积分")},
          trigger=True)
def _points_expiring(p: dict, ctx: Context) -> str:
    """Points of the member's own account expiring within `days` add up to at least the
    price of the cheapest active reward that is not a donation (enough to redeem
    something before they go), or to `min_points` when given."""
    from datetime import timedelta
    now, until = ctx.bind(ctx.now), ctx.bind(ctx.now + timedelta(days=p["days"]))
    enough = (ctx.bind(p["min_points"]) if p["min_points"] else f"""(SELECT MIN(r.points_price) FROM reward_items r
        WHERE r.active AND r.kind <> 'donation' AND (r.starts_at IS NULL OR r.starts_at <= {now})
          AND (r.ends_at IS NULL OR r.ends_at > {now}))""")
    return f"""(SELECT COALESCE(SUM(l.remaining), 0) FROM point_lots l JOIN accounts a ON a.id = l.account_id
                WHERE a.member_id = m.id AND a.kind = 'points' AND l.remaining > 0
                  AND l.expires_at > {now} AND l.expires_at <= {until}) >= {enough}"""


def conditions(specs: list[dict], ctx: Context) -> str:
    """SQL: every filter's condition, and-ed, after the reachable members' own."""
    parts = [sql.REACHABLE] + [REGISTRY[s["filter"]].where(s, ctx) for s in specs]
    return " AND ".join(f"({p})" for p in parts)


def cleanup(ctx: Context) -> None:
    for table in ctx.temp_tables:
        sql.run(f"DROP TABLE IF EXISTS {table}")
    ctx.temp_tables.clear()


def describe(spec: dict) -> str:
    the = REGISTRY[spec["filter"]]
    args = ", ".join(f"{the.params[k].label or k}={','.join(v) if isinstance(v, list) else v}"
                     for k, v in spec.items() if k != "filter" and v is not None)
    return f"{the.label}（{args}）" if args else the.label


def context(now: datetime) -> Context:
    return Context(now=now, today=sql.business_day(now))


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# Filters over the nightly member profiles, RFM segments and tags (registered on import).
from loyalty.campaigns import profile_filters  # noqa: E402,F401
