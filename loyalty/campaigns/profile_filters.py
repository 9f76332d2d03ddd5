"""Segment filters over the nightly member profiles, RFM segments and tags
(loyalty/profiles/: member_profiles, member_tags), a few lines each. A member without a
profile (never came, or not yet computed) matches none of them."""
from __future__ import annotations

from loyalty.campaigns.filters import Context, Param, register
from loyalty.profiles import segments as rfm

PROFILE = "m.id IN (SELECT p.member_id FROM member_profiles p WHERE {})"


@register("rfm_segment", "RFM 分群", {"codes": Param("codes", choices=rfm.CODES,
                                                    label="分群代码")})
def _rfm_segment(p: dict, ctx: Context) -> str:
    return PROFILE.format(f"p.rfm_segment IN ({ctx.bind_list(p['codes'])})")


@register("tag", "标签", {"codes": Param("codes", label="标签代码（任一）")})
def _tag(p: dict, ctx: Context) -> str:
    return f"EXISTS (SELECT 1 FROM member_tags t WHERE t.member_id = m.id AND t.tag_code IN ({ctx.bind_list(p['codes'])}))"


@register("visits_90d", "近 90 天到店次数", {"min": Param("int", 1, 0, 10_000, label="至少"),
                                       "max": Param("optional_int", None, 0, 10_000, label="至多")})
def _visits_90d(p: dict, ctx: Context) -> str:
    upper = f" AND p.visits_90d <= {ctx.bind(p['max'])}" if p["max"] is not None else ""
    return PROFILE.format(f"p.visits_90d >= {ctx.bind(p['min'])}{upper}")


@register("favourite_grade", "常加油品", {"codes": Param("codes", label="油品代码")})
def _favourite_grade(p: dict, ctx: Context) -> str:
    return PROFILE.format(f"p.favourite_grade IN ({ctx.bind_list(p['codes'])})")


@register("avg_litres", "平均每次加油量", {"min_ml": Param("int", 0, 0, 1_000_000, label="至少（毫升）")})
def _avg_litres(p: dict, ctx: Context) -> str:
    return PROFILE.format(f"p.avg_litres_ml >= {ctx.bind(p['min_ml'])}")
