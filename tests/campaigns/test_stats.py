"""The lift statistics against published worked examples, and the words of the report."""
from __future__ import annotations

import math

import pytest

from loyalty.campaigns import stats


def test_stat_trek_acme_drug_example():
    """Stat Trek, "Hypothesis Test: Difference Between Proportions" (stattrek.com), the
    Acme Drug Company: 38 of 100 women and 102 of 200 men caught a cold. Pooled p =
    140/300 = 0.467, SE = 0.0611, z = -2.13 (-2.1276 unrounded), two-sided P = 0.0332
    (2 x 0.0166, from the rounded z)."""
    z, p = stats.z_test(38, 100, 102, 200)
    assert z == pytest.approx(-2.1276, abs=5e-4)
    assert p == pytest.approx(0.0332, abs=5e-4)
    lift = stats.compare(38, 100, 102, 200)
    assert lift.enough and lift.significant and lift.absolute == pytest.approx(-0.13)
    assert "下降" in lift.verdict


def test_vitamin_c_and_colds_example():
    """Pauling's skiers (31 of 140 on placebo and 17 of 139 on vitamin C caught a cold),
    as worked in the University at Albany's MAT 108 notes, ch. 28 ("Two-Sample Test for
    Proportions"): z = 2.19, the one-sided tail about 1.4%, so two-sided about 0.028."""
    z, p = stats.z_test(31, 140, 17, 139)
    assert z == pytest.approx(2.19, abs=5e-3)
    assert p == pytest.approx(0.0283, abs=5e-4)


def test_newcombe_simple_asymptotic_interval():
    """Newcombe (1998), "Interval estimation for the difference between independent
    proportions: comparison of eleven methods", Statistics in Medicine 17:873-890,
    example (a): 56/70 - 48/80 = 0.2000, method 1 (simple asymptotic, Wald): 0.0575 to 0.3425."""
    low, high = stats.difference_ci(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0575, 0.3425)


def test_relative_lift_interval_by_hand():
    # RR = 0.8 / 0.6 = 4/3; SE(ln RR) = sqrt(1/56 - 1/70 + 1/48 - 1/80) = sqrt(0.0119048) = 0.109109;
    # ln(4/3) = 0.287682 +- 1.959964 x 0.109109 = 0.073830 .. 0.501534; exp - 1 = 0.0766 .. 0.6512.
    low, high = stats.ratio_ci(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0766, 0.6512)
    lift = stats.compare(56, 70, 48, 80)
    assert lift.relative == pytest.approx(1 / 3)
    assert stats.ratio_ci(0, 70, 48, 80) is None


def test_no_difference_is_not_significant():
    lift = stats.compare(200, 1000, 200, 1000)
    assert lift.z == 0 and lift.p_value == pytest.approx(1.0) and not lift.significant
    assert lift.verdict.startswith("不显著")


@pytest.mark.parametrize("counts", [(2, 20, 1, 20), (3, 1000, 0, 100), (0, 0, 5, 50), (50, 50, 40, 40),
                                    (29, 29, 10, 40)])
def test_too_small_to_tell_says_so(counts):
    lift = stats.compare(*counts)
    assert not lift.enough and not lift.significant and lift.verdict.startswith("样本太小")


def test_the_boundaries_of_too_small():
    # 30 a side is enough members; 5 expected conversions on the smaller side is enough.
    assert not stats.too_small(10, 30, 10, 30)
    assert stats.too_small(10, 30, 10, 29)
    # pooled 10/200 = 0.05, 100 x 0.05 = 5 expected: enough; 9/200: 4.5, not.
    assert not stats.too_small(5, 100, 5, 100) and stats.too_small(4, 100, 5, 100)
    assert math.isclose(stats._Z, 1.959963984540054)
