"""RFM quintiles: 1 + floor(5 w / n), w the members strictly worse; equal values share a
score; the segment table's rules, each one reached."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from extensions import db
from loyalty import demo
from loyalty.profiles import segments
from tests.factories import make_member
from tests.profiles.world import bare_sales, profiles, run
from tests.reminders.world import shanghai

RUN_DAY = "2026-12-02"


def test_ten_members_cut_into_fifths_and_the_first_visit_decides_new(any_app):
    demo.seed()
    now = shanghai(RUN_DAY)
    people, rows = [], []
    for k in range(1, 11):  # member k: k visits, 30 days apart, the last 11 - k days ago; 100 yuan each
        member = make_member(f"139000001{k:02d}", consent=True)
        people.append(member.id)
        last = now - timedelta(days=11 - k)
        rows += [(member.id, last - timedelta(days=30 * j), 40000, 10000) for j in range(k)]
    bare_sales(rows)
    run(RUN_DAY)
    got = profiles()
    expected = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # the NTILE(5) of ten distinct values
    for score in ("r_score", "f_score", "m_score"):
        assert [getattr(got[m], score) for m in people] == expected, score
    # k = 1 came first 10 days ago: new. k = 2: R1 F1, hibernating. 5, 6: all 3: need_attention.
    # 7-10: R, F, M >= 4: champions.
    assert [got[m].rfm_segment for m in people] == (
        ["new", "hibernating", "hibernating", "hibernating", "need_attention", "need_attention"]
        + ["champions"] * 4)


def test_equal_values_share_the_lower_score(any_app):
    demo.seed()
    now = shanghai(RUN_DAY)
    same = [make_member(f"1390000020{k}", consent=True).id for k in range(5)]
    best = make_member("13900000210", consent=True).id
    rows = [(m, now - timedelta(days=40 + d), 40000, 10000) for m in same for d in (0, 5)]
    rows += [(best, now - timedelta(days=1 + d), 40000, 50000) for d in (0, 5, 10)]
    bare_sales(rows)
    run(RUN_DAY)
    got = profiles()
    # n = 6: the five alike have nobody worse: 1 (NTILE would spread them over 1..5);
    # `best` has 5 worse: 1 + floor(25 / 6) = 5.
    assert {(got[m].r_score, got[m].f_score, got[m].m_score) for m in same} == {(1, 1, 1)}
    assert (got[best].r_score, got[best].f_score, got[best].m_score) == (5, 5, 5)


CASES = [  # (r, f, m, new) -> segment, in the table's order
    ((None, None, None, 0), "lost"), ((5, 1, 1, 1), "new"), ((4, 4, 4, 0), "champions"),
    ((4, 4, 3, 0), "loyal"), ((3, 5, 5, 0), "loyal"), ((5, 3, 5, 0), "promising"), ((4, 1, 1, 0), "promising"),
    ((2, 3, 1, 0), "at_risk"), ((1, 5, 5, 0), "at_risk"), ((2, 2, 5, 0), "hibernating"),
    ((3, 3, 3, 0), "need_attention"), ((3, 1, 5, 0), "need_attention"), ((2, 4, 4, 1), "new")]


@pytest.mark.parametrize("scores,segment", CASES)
def test_the_segment_rules(app, scores, segment):
    r, f, m, new = scores
    got = db.session.execute(text(f"SELECT {segments.case_sql()} FROM (SELECT CAST(:r AS INTEGER) AS r, "
                                  "CAST(:f AS INTEGER) AS f, CAST(:m AS INTEGER) AS m, :n AS is_new) t"),
                             {"r": r, "f": f, "m": m, "n": new}).scalar()
    assert got == segment
    assert segments.name_of(segment) and set(segments.NAMES) >= {segment}


def test_every_segment_has_a_chinese_name():
    assert len(segments.CODES) == len(set(segments.CODES)) == 8
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in segments.NAMES.values())
