"""Lift of an arm against the holdout: the two-proportion z-test and its intervals,
small, on the standard library's statistics.NormalDist. Floats are fine here (rates and
probabilities); money never passes through this module.

    compare(x_arm, n_arm, x_holdout, n_holdout) -> Lift

- absolute lift = p_arm - p_holdout, with the Wald 95% interval
  (p1 - p2) ± z·sqrt(p1(1-p1)/n1 + p2(1-p2)/n2) (Newcombe 1998, method 1);
- relative lift = p_arm / p_holdout - 1, with the log risk-ratio (Katz) interval
  exp(ln RR ± z·sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)) - 1;
- the p-value of the pooled two-proportion z-test, two-sided:
  z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)), p = (x1 + x2) / (n1 + n2), P = 2(1 - Φ(|z|)).

Too small to tell: either group under MIN_MEMBERS, or fewer than 5 expected
conversions or non-conversions in either group (the normal approximation's own rule).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

MIN_MEMBERS = 30
MIN_EXPECTED = 5
ALPHA = 0.05
_Z = NormalDist().inv_cdf(1 - ALPHA / 2)  # 1.959963984540054


@dataclass(frozen=True)
class Lift:
    rate_arm: float
    rate_holdout: float
    absolute: float
    absolute_ci: tuple[float, float]
    relative: float | None
    relative_ci: tuple[float, float] | None
    z: float | None
    p_value: float | None
    enough: bool
    significant: bool
    verdict: str


def too_small(x1: int, n1: int, x2: int, n2: int) -> bool:
    if min(n1, n2) < MIN_MEMBERS:
        return True
    pooled = (x1 + x2) / (n1 + n2)
    return min(n1, n2) * min(pooled, 1 - pooled) < MIN_EXPECTED


def z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, float | None]:
    """(z, two-sided p) of the pooled test; (None, None) when it is undefined (no
    members, or every member converted or none did)."""
    if n1 <= 0 or n2 <= 0:
        return None, None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None, None
    z = (x1 / n1 - x2 / n2) / se
    return z, 2 * (1 - NormalDist().cdf(abs(z)))


def difference_ci(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    p1, p2 = x1 / n1, x2 / n2
    half = _Z * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return p1 - p2 - half, p1 - p2 + half


def ratio_ci(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """The relative lift's interval (risk ratio - 1); None without conversions on a side."""
    if x1 == 0 or x2 == 0:
        return None
    log_rr = math.log((x1 / n1) / (x2 / n2))
    half = _Z * math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return math.exp(log_rr - half) - 1, math.exp(log_rr + half) - 1


def _p(value: float) -> str:
    return "p < 0.0001" if value < 0.0001 else f"p = {value:.4f}"


def _points(value: float) -> str:
    return f"{value * 100:+.1f} 个百分点"


def compare(x1: int, n1: int, x2: int, n2: int) -> Lift:
    """The arm (x1 conversions of n1) against the holdout (x2 of n2)."""
    if n1 <= 0 or n2 <= 0:
        return Lift(0.0, 0.0, 0.0, (0.0, 0.0), None, None, None, None, False, False,
                    "样本太小，无法判断：对照组或方案组没有会员")
    p1, p2 = x1 / n1, x2 / n2
    z, p_value = z_test(x1, n1, x2, n2)
    ci = difference_ci(x1, n1, x2, n2)
    relative = p1 / p2 - 1 if p2 > 0 else None
    enough = not too_small(x1, n1, x2, n2) and p_value is not None
    significant = enough and p_value < ALPHA
    if not enough:
        verdict = (f"样本太小，无法判断：方案组 {n1} 人、对照组 {n2} 人，转化太少，"
                   "正态近似不可靠（每组至少 30 人，预期转化与未转化各至少 5 人）")
    elif significant:
        verdict = (f"显著：转化率{'提升' if p1 > p2 else '下降'} {_points(p1 - p2)}（95% 置信区间 "
                   f"{ci[0] * 100:+.1f} 至 {ci[1] * 100:+.1f}），{_p(p_value)}")
    else:
        verdict = (f"不显著：差异 {_points(p1 - p2)}，95% 置信区间 {ci[0] * 100:+.1f} 至 {ci[1] * 100:+.1f}"
                   f" 个百分点，含 0（{_p(p_value)}），不能说明活动有效")
    return Lift(p1, p2, p1 - p2, ci, relative, ratio_ci(x1, n1, x2, n2), z, p_value, enough, significant, verdict)
