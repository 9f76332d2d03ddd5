"""The console's segment, campaign and report pages: a recall campaign in a few clicks,
a dry run with masked phones, every change audited, HQ only, bad input a clear 4xx."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from extensions import db
from loyalty import changes
from models import Campaign, ChangeRecord, Segment
from tests.admin.fixtures import console, operator  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401

RECALL_FORM = {"code": "RECALL_DORMANT", "name": "沉睡会员召回", "segment": "MARKETING", "new_segment": "1",
               "schedule": "trigger", "trigger": '{"filter": "dormant", "days": 30, "factor": 2}',
               "cooldown_days": "30", "holdout_pct": "10", "window_days": "14", "conversion": "visit",
               "arm_code": ["A", "", ""], "arm_weight": ["1", "1", "1"], "arm_coupon": ["RECALL", "", ""],
               "arm_points": ["", "", ""], "arm_message": ["好久不见！送您一张回归礼券。", "", ""],
               "arm_sms_text": ["", "", ""], "reason": "十二月召回"}


def form_values(html: str) -> dict:
    """The named inputs' values of a page's form (what a browser would post, roughly)."""
    found = {}
    for name, value in re.findall(r'<input name="(\w+)"[^>]*value="([^"]*)"', html):
        found.setdefault(name, []).append(value)
    return found


def test_a_recall_campaign_in_a_few_clicks(operator, console):
    hq = operator("hq")
    page = hq.get("/admin/campaigns/new?preset=recall").get_data(as_text=True)
    assert "RECALL_DORMANT" in page and "dormant" in page and "同意营销推送的会员（保存时新建）" in page
    assert form_values(page)["holdout_pct"] == ["10"]
    resp = hq.post("/admin/campaigns", RECALL_FORM)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/campaigns/RECALL_DORMANT")
    segment = db.session.scalars(select(Segment).where(Segment.code == "MARKETING")).one()
    assert segment.filters == [{"filter": "consent", "category": "marketing"}]
    resp = hq.post("/admin/campaigns/RECALL_DORMANT/launch", {"reason": "开始"})
    assert resp.status_code == 302
    db.session.expire_all()
    c = db.session.scalars(select(Campaign).where(Campaign.code == "RECALL_DORMANT")).one()
    assert c.status == "running" and c.trigger == {"filter": "dormant", "days": 30, "factor": 2}
    assert [(a.code, a.holdout) for a in c.arms] == [("holdout", True), ("A", False)]
    html = hq.get("/admin/campaigns/RECALL_DORMANT").get_data(as_text=True)
    assert "进行中" in html and "回归礼券" in html and "开始" in html
    report = hq.get("/admin/campaigns/RECALL_DORMANT/report")
    html = report.get_data(as_text=True)
    assert report.status_code == 200 and "对照组" in html
    assert 'data-json="/admin/campaigns/RECALL_DORMANT/report.json"' in html
    for script in ("echarts/echarts.min.js", "campaign_report.js"):
        src = re.search(rf'src="([^"]*{re.escape(script)})"', html).group(1)
        assert hq.get(src).status_code == 200, src
    data = hq.get("/admin/campaigns/RECALL_DORMANT/report.json").get_json()
    assert data["window_days"] == 14 and [a["code"] for a in data["arms"]] == ["holdout", "A"]
    assert all(len(a["by_day"]) == 14 for a in data["arms"])
    # Every change audited: the segment made, the draft, the launch (before and after).
    records = [(r.kind, r.object_key, r.action) for r in changes.timeline()]
    assert records == [("campaign", "RECALL_DORMANT", "launch"), ("campaign", "RECALL_DORMANT", "create"),
                       ("segment", "MARKETING", "create")]
    [launch] = changes.for_object("campaign", "RECALL_DORMANT")[:1]
    assert (launch.before["status"], launch.after["status"], launch.reason, launch.staff) == \
        ("draft", "running", "开始", "hq")


def test_the_dry_run_counts_and_masks(operator, console, pinned_clock):
    from models import Member
    for member_id in console.values():  # reachable: consented to the privacy terms
        db.session.get(Member, member_id).consent_at = pinned_clock
    db.session.commit()
    hq = operator("hq")
    resp = hq.post("/admin/campaigns/segments/dry-run", {"code": "S1", "name": "东站", "filters":
                                               '[{"filter": "station", "code": ["S001"]}]'})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "今天符合条件的会员 1 人" in html
    assert "139****1234" in html and "13900001234" not in html
    assert db.session.query(Segment).count() == 0  # a dry run saves nothing
    resp = hq.post("/admin/campaigns/segments", {"code": "S1", "name": "东站", "reason": "建",
                                       "filters": '[{"filter": "station", "code": ["S001"], "days": 30}]'})
    assert resp.status_code == 302
    assert "东站" in hq.get("/admin/campaigns/segments").get_data(as_text=True)
    resp = hq.post("/admin/campaigns/segments", {"code": "S1", "name": "东站常客", "reason": "改名",
                                                 "filters": '[{"filter": "station", "code": ["S001"]}]'})
    assert resp.status_code == 302
    update, create = changes.for_object("segment", "S1")
    assert (update.action, create.action) == ("update", "create")
    assert update.before == {"name": "东站", "filters": [{"filter": "station", "code": ["S001"], "days": 30}]}
    assert update.after == {"name": "东站常客", "filters": [{"filter": "station", "code": ["S001"], "days": 90}]}


BAD = [("/admin/campaigns/segments/dry-run", {"filters": "[{"}, 400, "JSON"),
       ("/admin/campaigns/segments/dry-run", {"filters": '[{"filter": "nope"}]'}, 400, "未知的筛选条件"),
       ("/admin/campaigns/segments/dry-run", {"filters": '[{"filter": "no_visit", "days": "-3"}]'}, 400, "不对"),
       ("/admin/campaigns/segments/dry-run", {"filters": '{"filter": "tier"}'}, 400, "列表"),
       ("/admin/campaigns/segments", {"code": "S2", "name": "x", "filters": "[]", "reason": ""}, 400, "原因"),
       ("/admin/campaigns/segments", {"code": "S2", "name": "x\x01", "filters": "[]", "reason": "r"}, 400, "控制字符"),
       ("/admin/campaigns", {**RECALL_FORM, "segment": "NOPE", "new_segment": ""}, 404, "人群不存在"),
       ("/admin/campaigns", {**RECALL_FORM, "holdout_pct": "abc"}, 400, "holdout_pct"),
       ("/admin/campaigns", {**RECALL_FORM, "holdout_pct": "100"}, 400, "holdout_pct"),
       ("/admin/campaigns", {**RECALL_FORM, "arm_weight": ["0", "1", "1"]}, 400, "权重"),
       ("/admin/campaigns", {**RECALL_FORM, "arm_coupon": ["NOPE", "", ""]}, 400, "优惠券模板"),
       ("/admin/campaigns", {**RECALL_FORM, "arm_message": ["", "", ""]}, 400, "方案"),
       ("/admin/campaigns", {**RECALL_FORM, "trigger": '{"filter": "tier", "codes": ["gold"]}'}, 400, "每日触发"),
       ("/admin/campaigns", {**RECALL_FORM, "trigger": ""}, 400, "触发条件"),
       ("/admin/campaigns", {**RECALL_FORM, "conversion": "sale_over"}, 400, "门槛"),
       ("/admin/campaigns/NOPE/launch", {"reason": "x"}, 404, "营销活动不存在")]


@pytest.mark.parametrize("path,data,status,words", BAD)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(operator, console, path, data, status, words):
    hq = operator("hq")
    resp = hq.post(path, data)
    assert resp.status_code == status and words in resp.get_data(as_text=True)
    assert db.session.query(Campaign).count() == 0 and db.session.query(ChangeRecord).count() == 0


def test_moves_out_of_order_are_refused(operator, console):
    hq = operator("hq")
    assert hq.post("/admin/campaigns", RECALL_FORM).status_code == 302
    assert hq.post("/admin/campaigns", {**RECALL_FORM, "holdout_pct": "20", "reason": "对照组加大"}).status_code == 302
    assert hq.post("/admin/campaigns/RECALL_DORMANT/pause", {"reason": "x"}).status_code == 400  # a draft
    assert hq.post("/admin/campaigns/RECALL_DORMANT/launch", {"reason": ""}).status_code == 400
    assert hq.post("/admin/campaigns/RECALL_DORMANT/launch", {"reason": "go"}).status_code == 302
    assert hq.post("/admin/campaigns", RECALL_FORM).status_code == 400  # launched: no more edits
    assert hq.post("/admin/campaigns/RECALL_DORMANT/stop", {"reason": "end"}).status_code == 302
    assert hq.post("/admin/campaigns/RECALL_DORMANT/launch", {"reason": "again"}).status_code == 400
    history = changes.for_object("campaign", "RECALL_DORMANT")
    assert [r.action for r in history] == ["stop", "launch", "update", "create"]
    assert (history[2].before["holdout_bp"], history[2].after["holdout_bp"]) == (1000, 2000)


PAGES = ["/admin/campaigns/segments", "/admin/campaigns/segments/new", "/admin/campaigns/segments/MARKETING",
         "/admin/campaigns",
         "/admin/campaigns/new", "/admin/campaigns/new?preset=recall", "/admin/campaigns/RECALL_DORMANT",
         "/admin/campaigns/RECALL_DORMANT/edit", "/admin/campaigns/RECALL_DORMANT/report",
         "/admin/campaigns/RECALL_DORMANT/report.json"]


@pytest.mark.parametrize("who,status", [("hq", 200), ("hq2", 200), ("wang", 403), ("qian", 403), ("li", 403),
                                        ("zhao", 403)])
def test_only_hq_opens_or_writes_campaigns(operator, console, who, status):
    assert operator("hq").post("/admin/campaigns", RECALL_FORM).status_code == 302
    me = operator(who)
    assert {p: me.get(p).status_code for p in PAGES} == {p: status for p in PAGES}
    if status == 403:
        before = db.session.query(ChangeRecord).count()
        for path in ("/admin/campaigns", "/admin/campaigns/RECALL_DORMANT/launch", "/admin/campaigns/segments",
                     "/admin/campaigns/segments/dry-run"):
            assert me.post(path, {**RECALL_FORM, "filters": "[]"}).status_code == 403, path
        assert db.session.query(ChangeRecord).count() == before


def test_nobody_logged_in_is_sent_to_the_login(till, console):
    client = till.test_client()
    for page in PAGES:
        resp = client.get(page)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/cashier/login?next=/admin/")


JUNK = ["", " ", "-", "0", "-0", "1e9", "１２", "99999999999999999999999", "NaN", "<script>", "%00", "\x00", "a" * 3000,
        "[]", "{}", '[{"filter": "tier", "codes": "\\u0000"}]', '[{"filter": "no_visit", "days": 1e99}]', "null"]


def test_junk_in_every_campaign_form_is_a_4xx_page(operator, console):
    hq = operator("hq")
    assert hq.post("/admin/campaigns", RECALL_FORM).status_code == 302
    posts = {"/admin/campaigns/segments": ["code", "name", "filters", "reason"],
             "/admin/campaigns/segments/dry-run": ["code", "name", "filters"],
             "/admin/campaigns": ["code", "name", "segment", "schedule", "trigger", "cooldown_days", "holdout_pct",
                                  "window_days", "conversion", "min_amount_fen", "arm_code", "arm_weight",
                                  "arm_coupon", "arm_points", "arm_message", "reason"],
             "/admin/campaigns/RECALL_DORMANT/launch": ["reason"],
             "/admin/campaigns/%00/stop": ["reason"]}
    for path, fields in posts.items():
        for junk in JUNK:
            resp = hq.post(path, {name: junk for name in fields})
            assert resp.status_code < 500, (path, junk)
    for path in ["/admin/campaigns/segments/%00", "/admin/campaigns/segments/" + "a" * 300, "/admin/campaigns/%00",
                 "/admin/campaigns/nope/report", "/admin/campaigns/%00/report.json", "/admin/campaigns/x/edit"]:
        assert 400 <= hq.get(path).status_code < 500, path
    db.session.expire_all()
    # No junk made a campaign or a segment (a junk reason like "0" is still a reason: the launch went).
    assert db.session.scalars(select(Campaign.code)).all() == ["RECALL_DORMANT"]
    assert db.session.scalars(select(Segment.code)).all() == ["MARKETING"]
