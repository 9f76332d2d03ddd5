"""Profiles in the console: the member's page shows the profile, tags and segment; search
by tag and segment stays inside what a station manager may see, and lists a segment's
members page by page; tag rules are edited by HQ with a dry-run count, each save a change
record with before and after, a refused one writing nothing."""
from __future__ import annotations

import json

from sqlalchemy import select

from extensions import db
from loyalty import changes
from loyalty.profiles import compute
from models import ChangeRecord, TagRule
from tests.admin.fixtures import console, operator  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401

RULE = {"all": [{"field": "visits_30d", "op": ">=", "value": 1},
                {"field": "favourite_grade", "op": "=", "value": "92"}]}


def profiled(pinned_clock) -> None:
    compute.run(pinned_clock)
    db.session.commit()


def test_the_member_page_shows_profile_tags_and_segment(operator, console, pinned_clock):
    db.session.add(TagRule(code="visitor92", name="92号常客", condition=RULE, active=True, created_at=pinned_clock,
                           updated_at=pinned_clock))
    db.session.commit()
    hq = operator("hq")
    assert "尚无画像" in hq.get(f"/admin/members/{console['east']}").get_data(as_text=True)
    profiled(pinned_clock)
    page = hq.get(f"/admin/members/{console['east']}").get_data(as_text=True)
    # east: one sale of 40 L of 92# yesterday (fixtures): new, tagged, 40.00 L a visit.
    assert '<td class="segment">新客' in page and 'data-tag="visitor92">92号常客' in page
    assert "40.00 升" in page and "近30天 1" in page and "1 天前" in page


def test_search_by_tag_and_segment_is_scoped_like_the_search(operator, console, pinned_clock):
    db.session.add(TagRule(code="visitor92", name="92号常客", condition=RULE, active=True, created_at=pinned_clock,
                           updated_at=pinned_clock))
    db.session.commit()
    profiled(pinned_clock)
    link = lambda name: f'/admin/members/{console[name]}"'  # noqa: E731
    for who, sees in (("hq", {"east", "west"}), ("wang", {"east"}), ("qian", {"west"})):
        me = operator(who)
        for query in ({"tag": "visitor92"}, {"segment": "new"}, {"segment": "new", "tag": "visitor92", "q": "浙"}):
            html = me.get("/admin/members", query_string=query).get_data(as_text=True)
            assert {n for n in ("east", "west") if link(n) in html} == sees, (who, query)
        html = me.get("/admin/members", query_string={"segment": "champions"}).get_data(as_text=True)
        assert link("east") not in html and link("west") not in html and "没有找到会员" in html
        counts = me.get("/admin/segments").get_data(as_text=True)
        assert f'data-segment="new">{len(sees)}<' in counts
    hq = operator("hq")
    # The next page: below east's id only west (the older) or nothing.
    newer, older = sorted((console["east"], console["west"]), reverse=True)
    html = hq.get("/admin/members", query_string={"segment": "new", "before": newer}).get_data(as_text=True)
    assert f'/admin/members/{older}"' in html and f'/admin/members/{newer}"' not in html
    for bad, message in (({"segment": "vip"}, "没有这个分群"), ({"tag": "nope"}, "没有这个标签"),
                         ({"segment": "new", "before": "x"}, "before 须为会员编号")):
        resp = hq.get("/admin/members", query_string=bad)
        assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def test_a_tag_rule_edit_is_validated_dry_run_and_recorded(operator, console, pinned_clock):
    profiled(pinned_clock)
    hq = operator("hq")
    typed = json.dumps(RULE)
    # A dry run counts the members the draft would tag today (east and west both: 92#), saving nothing.
    page = hq.post("/admin/tags/preview", {"code": "visitor92", "name": "92号常客", "condition": typed})
    assert page.status_code == 200 and '<b class="count">2</b>' in page.get_data(as_text=True)
    assert db.session.get(TagRule, "visitor92") is None
    bad = hq.post("/admin/tags", {"code": "visitor92", "name": "92号常客", "reason": "新标签",
                                  "condition": '{"all": [{"field": "phone", "op": "=", "value": 1}]}'})
    assert bad.status_code == 400 and "未知字段：phone" in bad.get_data(as_text=True)
    assert db.session.query(ChangeRecord).count() == 0 and db.session.get(TagRule, "visitor92") is None
    resp = hq.post("/admin/tags", {"code": "visitor92", "name": "92号常客", "condition": typed, "active": "1",
                                   "reason": "新标签"})
    assert resp.status_code == 302
    # The same code again from the new form is refused; the edit form (key) updates.
    again = hq.post("/admin/tags", {"code": "visitor92", "name": "x", "condition": typed, "reason": "重复"})
    assert again.status_code == 400 and "已存在" in again.get_data(as_text=True)
    edited = dict(RULE, all=[RULE["all"][0]])
    hq.post("/admin/tags", {"key": "visitor92", "name": "常客", "condition": json.dumps(edited), "reason": "不限油品"})
    update, create = changes.for_object("tag_rule", "visitor92")
    assert (create.action, create.before, create.reason, create.staff) == ("create", None, "新标签", "hq")
    assert create.after == {"name": "92号常客", "condition": RULE, "active": True}
    assert (update.action, update.reason) == ("update", "不限油品")
    assert update.before == create.after and update.after == {"name": "常客", "condition": edited, "active": False}
    db.session.expire_all()
    assert db.session.scalars(select(TagRule.name).where(TagRule.code == "visitor92")).all() == ["常客"]
    assert "标签规则" in hq.get("/admin/changes?kind=tag_rule").get_data(as_text=True)
