"""Who may open what: role x page x station, one row per case. HQ admins see everything;
a station manager sees the console's inboxes and their own station's members (another
station's member, or dashboard, is "not found"), never configuration (notice templates and
reply texts included), approvals, the change records, the books or the CSV exports; a cashier
has no console; nobody logged in is sent to the login page."""
from __future__ import annotations

import pytest

from loyalty.dashboards.figures import DASHBOARDS

from tests.admin.fixtures import console, operator  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401

HQ_ONLY = ["/admin/adjustments", "/admin/rules", "/admin/tiers", "/admin/config/coupon-templates",
           "/admin/config/rewards", "/admin/config/topup-bonus-rules", "/admin/config/rewards/WATER",
           "/admin/config/coupon-templates/new", "/admin/changes", "/admin/changes/tier/gold", "/admin/books",
           "/admin/tags", "/admin/tags/new", "/admin/tags/commuter",
           "/admin/exports", "/admin/notice-templates", "/admin/notice-templates/template/receipt",
           "/admin/notice-templates/subscribe/inspection", "/admin/replies", "/admin/replies/feedback/done",
           "/admin/campaigns/segments", "/admin/campaigns/segments/new", "/admin/campaigns", "/admin/campaigns/new",
           "/admin/campaigns/new?preset=recall"]
BOTH = ["/admin/", "/admin/members?q=1234", "/admin/feedback", "/admin/invoices", "/admin/segments",
        "/admin/members?segment=new", "/admin/members?tag=commuter",
        "/admin/dashboards/sales", "/admin/dashboards/liabilities"] + [f"/admin/dashboards/{name}.json" for name in DASHBOARDS]

PEOPLE = ("hq", "hq2", "wang", "qian", "li", "zhao")
# page -> the status each login gets. east fuels at S001 (wang's station), west at S002
# (qian's); the demo member ("nobody") has no sale anywhere, so is no station's member.
MATRIX = {page: {"hq": 200, "hq2": 200, "wang": 200, "qian": 200, "li": 403, "zhao": 403} for page in BOTH}
MATRIX.update({page: {"hq": 200, "hq2": 200, "wang": 403, "qian": 403, "li": 403, "zhao": 403} for page in HQ_ONLY})
MATRIX.update({
    "/admin/members/{east}": {"hq": 200, "hq2": 200, "wang": 200, "qian": 404, "li": 403, "zhao": 403},
    "/admin/members/{west}": {"hq": 200, "hq2": 200, "wang": 404, "qian": 200, "li": 403, "zhao": 403},
    "/admin/members/{nobody}": {"hq": 200, "hq2": 200, "wang": 404, "qian": 404, "li": 403, "zhao": 403},
    "/admin/members/999999": {"hq": 404, "hq2": 404, "wang": 404, "qian": 404, "li": 403, "zhao": 403},
    "/admin/dashboards": {"hq": 302, "hq2": 302, "wang": 302, "qian": 302, "li": 403, "zhao": 403},
    # A dashboard of another station reads as not found for a manager (as its members do).
    "/admin/dashboards/sales.json?station=S001": {"hq": 200, "hq2": 200, "wang": 200, "qian": 404, "li": 403,
                                                  "zhao": 403},
    "/admin/dashboards/tiers.json?station=S002": {"hq": 200, "hq2": 200, "wang": 404, "qian": 200, "li": 403,
                                                  "zhao": 403},
    "/admin/dashboards/coupons.json?station=S003": {"hq": 200, "hq2": 200, "wang": 404, "qian": 404, "li": 403,
                                                    "zhao": 403},
})


@pytest.mark.parametrize("who", PEOPLE)
def test_role_page_station(operator, console, who):
    """One login (role and station) against every page: the whole row of the matrix."""
    from loyalty import demo
    ids = dict(console, nobody=demo.demo_member().id)
    me = operator(who)
    got = {page: me.get(page.format(**ids)).status_code for page in MATRIX}
    assert got == {page: row[who] for page, row in MATRIX.items()}


def test_nobody_logged_in_is_sent_to_the_login_and_back(till, console):
    client = till.test_client()
    for page in list(MATRIX) + ["/admin/members/1/reveal"]:
        resp = client.get(page.format(**console, nobody=1)) if not page.endswith("reveal") else client.post(page)
        assert resp.status_code == 302, page
        assert resp.headers["Location"].startswith("/cashier/login?next=/admin/"), page


WRITES = [("/admin/members/{east}/reveal", {"reason": "会员来电核实"}),
          ("/admin/members/{east}/adjustments", {"account_kind": "points", "amount": "10", "reason": "补录",
                                                 "key": "matrix-1"}),
          ("/admin/rules", {"yaml": "name: x", "reason": "r"}),
          ("/admin/tiers/gold", {"reason": "r"}),
          ("/admin/config/rewards", {"code": "NEW1", "reason": "r"}),
          ("/admin/adjustments/1/approve", {}),
          ("/admin/tags", {"code": "x1", "name": "x", "condition": '{"all": [{"field": "visits_30d", "op": ">", "value": 1}]}',
                           "reason": "r"}),
          ("/admin/tags/preview", {"condition": '{"all": [{"field": "visits_30d", "op": ">", "value": 1}]}'}),
          ("/admin/exports", {"kind": "members", "from": "2026-01-01", "to": "2026-12-31", "reason": "r"}),
          ("/admin/notice-templates/template/receipt", {"active": "1", "template_id": "T", "keys": "thing1 = station",
                                                       "reason": "r"}),
          ("/admin/replies/welcome", {"text": "欢迎", "reason": "r"})]


@pytest.mark.parametrize("who", ["wang", "li"])
def test_only_hq_may_write_members_money_and_configuration(operator, console, who):
    from models import Adjustment, ChangeRecord, NoticeTemplate, ReplyText
    from extensions import db
    me = operator(who)
    for path, data in WRITES:
        assert me.post(path.format(**console), data).status_code == 403, path
    assert db.session.query(ChangeRecord).count() == 0 and db.session.query(Adjustment).count() == 0
    assert db.session.query(NoticeTemplate).count() == 0 and db.session.query(ReplyText).count() == 0


def test_a_write_without_the_csrf_token_is_refused(operator, console):
    hq = operator("hq")
    resp = hq.client.post(f"/admin/members/{console['east']}/reveal", data={"reason": "x"})
    assert resp.status_code == 400
    resp = hq.client.post(f"/admin/members/{console['east']}/reveal", data={"reason": "x", "csrf_token": hq.csrf},
                          headers={"Origin": "https://evil.example"})
    assert resp.status_code == 400


SEARCHES = [
    ("hq", "1234", "east"), ("hq", "5678", "west"), ("wang", "1234", "east"), ("wang", "5678", None),
    ("qian", "5678", "west"), ("qian", "1234", None), ("hq", "13900001234", "east"), ("hq", "浙b 66666", "west"),
    ("hq", "顺达物流", "east"), ("wang", "浙B66666", None), ("hq", "9999", None), ("hq", "%", None),
    ("hq", "139000", None)]


def test_search_finds_only_the_members_a_role_may_see(operator, console):
    people = {who: operator(who) for who in ("hq", "wang", "qian")}
    for who, query, finds in SEARCHES:
        html = people[who].get("/admin/members", query_string={"q": query}).get_data(as_text=True)
        for name in ("east", "west"):
            assert (f'/admin/members/{console[name]}"' in html) == (name == finds), (who, query, name)


def test_phones_are_masked_on_the_search_and_the_member_page(operator, console):
    hq = operator("hq")
    for page in ("/admin/members?q=1234", f"/admin/members/{console['east']}"):
        html = hq.get(page).get_data(as_text=True)
        assert "139****1234" in html and "13900001234" not in html
