"""Deterministic, sticky assignment: the hash in Python and in SQL agree, across runs and
processes; the arms' shares on 100,000 members stay within statistical bounds; a member
is in one arm once per campaign, never re-drawn."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from sqlalchemy import text

from extensions import db
from loyalty.campaigns import assignment
from loyalty.campaigns.assignment import Cut, arm_for, bucket, cuts
from loyalty.reminders import sql
from tests.campaigns.world import arms_of, bulk_members, campaign, launch, segment


def test_the_bucket_is_md5_of_campaign_and_member():
    # md5("1:2") = "def474a3..." (`echo -n 1:2 | md5sum`): 0xdef474a3 = 3740562595; mod 10000 = 2595.
    import hashlib
    assert hashlib.md5(b"1:2").hexdigest()[:8] == "def474a3"
    assert bucket(1, 2) == 3740562595 % 10000 == 2595
    assert bucket(2, 1) != bucket(1, 2)  # the campaign is part of the key


def test_cuts_give_the_holdout_its_share_and_the_rest_by_weight():
    assert cuts((9, 1000), [(1, 1), (2, 1)]) == [Cut(9, 1000), Cut(1, 5500), Cut(2, 10000)]
    # 3:1 of the 9000 left: 6750 and 2250; an arm of weight 0 gets nothing.
    assert cuts((9, 1000), [(1, 3), (3, 0), (2, 1)]) == [Cut(9, 1000), Cut(1, 7750), Cut(2, 10000)]
    assert cuts((9, 0), [(1, 1)]) == [Cut(9, 0), Cut(1, 10000)]
    the = cuts((9, 1000), [(1, 1), (2, 1)])
    member = next(m for m in range(1, 1000) if bucket(5, m) < 1000)
    assert arm_for(5, member, the) == 9
    member = next(m for m in range(1, 1000) if 1000 <= bucket(5, m) < 5500)
    assert arm_for(5, member, the) == 1


def test_sql_and_python_agree_on_100k_members_on_postgresql(app):
    expr = assignment.bucket_sql("7", "i", postgres=True)
    rows = db.session.execute(text(f"SELECT i, {expr} FROM generate_series(1, 100000) i")).all()
    assert len(rows) == 100_000
    assert [b for _, b in rows] == [bucket(7, i) for i, _ in rows]


def test_sql_and_python_agree_on_sqlite(any_app):
    expr = assignment.bucket_sql("7", "CAST(:m AS INTEGER)", postgres=sql.postgres())
    assert [db.session.execute(text(f"SELECT {expr}"), {"m": m}).scalar() for m in (1, 12345, 2 ** 31 - 1)] == \
        [bucket(7, 1), bucket(7, 12345), bucket(7, 2 ** 31 - 1)]


def test_the_same_in_another_process_with_another_hash_seed():
    code = "from loyalty.campaigns.assignment import bucket; print([bucket(3, m) for m in range(1, 200)])"
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                check=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__)))).stdout)
    assert outs == {str([bucket(3, m) for m in range(1, 200)]) + "\n"}


def test_arm_shares_on_100k_members_are_within_bounds_and_match_python(app):
    bulk_members(100_000)
    segment()
    c = campaign(arms=[{"code": "A", "weight": 1, "message": "a"}, {"code": "B", "weight": 1, "message": "b"}])
    counts = launch()
    assert counts["entered"] == counts["fresh"] == 100_000
    got = arms_of("C1")
    shares = Counter(got.values())
    # Holdout 10%: 10,000 expected, sd sqrt(1e5 x .1 x .9) = 94.9; arms 45,000, sd 157. Four sd either way.
    assert abs(shares["holdout"] - 10_000) < 4 * 95, shares
    assert abs(shares["A"] - 45_000) < 4 * 157 and abs(shares["B"] - 45_000) < 4 * 157, shares
    ids = {a.code: a.id for a in c.arms}
    the = cuts((ids["holdout"], 1000), [(ids["A"], 1), (ids["B"], 1)])
    names = {v: k for k, v in ids.items()}
    assert all(names[arm_for(c.id, m, the)] == arm for m, arm in got.items())
    # Entered once: a second run (the same day or later) enters nobody and moves nobody.
    from loyalty.campaigns import entry
    from datetime import datetime, timezone
    again = entry.enter(c, datetime.now(timezone.utc))
    db.session.commit()
    assert again["entered"] == 0 and arms_of("C1") == got


def test_the_holdout_share_is_a_setting(app):
    bulk_members(20_000)
    segment()
    campaign(holdout_pct="30")
    launch()
    shares = Counter(arms_of("C1").values())
    # 30%: 6,000 expected, sd sqrt(2e4 x .3 x .7) = 64.8.
    assert abs(shares["holdout"] - 6_000) < 4 * 65 and shares["A"] == 20_000 - shares["holdout"]
