"""RFM scores and the named segments: the one table of segment codes, Chinese names and
the rule that puts a member in each.

Scores are quintiles over the members with at least one visit in the window (365
Shanghai days): a member's score is 1 + floor(5 x w / n), where n is the number of such
members and w how many of them have a strictly worse value (recency: more days since the
last visit; frequency: fewer visits in the window; monetary: less amount in the window).
So with 10 members of distinct values the scores run 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, as
NTILE(5) would cut them, but equal values always share a score (NTILE would split them
by an arbitrary order). A member without a visit in the window has no scores: `lost`.

The segment is the first row below whose rule holds (R, F, M the scores).
"""
from __future__ import annotations

# (code, Chinese name, what it means, the SQL rule over r, f, m and `new` (first visit
# within NEW_DAYS)); written here, never typed by an operator.
SEGMENTS = (
    ("lost", "已流失", "一年内没有来过", "r IS NULL"),
    ("new", "新客", f"首次到店在 30 天内", "is_new = 1"),
    ("champions", "重要价值", "最近常来、消费高（R、F、M 均 ≥ 4）", "r >= 4 AND f >= 4 AND m >= 4"),
    ("loyal", "忠诚", "常来（F ≥ 4，R ≥ 3）", "f >= 4 AND r >= 3"),
    ("promising", "潜力", "最近来过但还不常来（R ≥ 4，F ≤ 3）", "r >= 4"),
    ("at_risk", "流失风险", "以前常来，最近不来了（R ≤ 2，F ≥ 3）", "r <= 2 AND f >= 3"),
    ("hibernating", "沉睡", "很久没来且来得少（R ≤ 2，F ≤ 2）", "r <= 2"),
    ("need_attention", "需关注", "其余：R = 3，F ≤ 3", "1 = 1"),
)
NEW_DAYS = 30
NAMES = {code: name for code, name, _, _ in SEGMENTS}
CODES = tuple(NAMES)


def name_of(code: str | None) -> str:
    return NAMES.get(code or "", code or "")


def case_sql() -> str:
    """The CASE expression giving the segment code from columns r, f, m, is_new."""
    whens = " ".join(f"WHEN {rule} THEN '{code}'" for code, _, _, rule in SEGMENTS[:-1])
    return f"CASE {whens} ELSE '{SEGMENTS[-1][0]}' END"


def quintile_sql(order: str, partition: str) -> str:
    """1 + floor(5 w / n) (see above) for the rows of `partition`, worst first by `order`."""
    return (f"(1 + 5 * (RANK() OVER (PARTITION BY {partition} ORDER BY {order}) - 1)"
            f" / COUNT(*) OVER (PARTITION BY {partition}))")
