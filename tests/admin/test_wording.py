"""What members read, configured by HQ: the notice-kind -> template mapping (checked
against the key types of docs/pushes.md and the kind's fields) and the editable reply
texts (placeholders checked, the shipped text the fallback). Each edit writes its change
record and reaches members at once: through the delivery jobs and the real webhook."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from extensions import db, get_redis
from handlers import texts
from loyalty import generations, reply_texts
from loyalty.notices import delivery
from loyalty.notices import templates as notice_templates
from loyalty.service.feedback import ticket_number
from models import ChangeRecord, FeedbackTicket, Member, NoticeTemplate, ReplyText
from tests.admin.fixtures import console, operator  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401
from tests.factories import bind, fuel_sale, give_points, make_member
from tests.handlers.test_points_cache import cached, statements
from tests.notices.world import work

RECEIPT_FORM = {"active": "1", "template_id": "TPL_RECEIPT_V2", "keys": "thing1 = station\namount2 = amount\ntime3=time",
                "link": "https://youka.example/m/records", "reason": "新模板审核通过"}


def records(kind: str) -> list[ChangeRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(ChangeRecord).where(ChangeRecord.kind == kind).order_by(ChangeRecord.id)))


def test_a_receipt_goes_out_with_the_template_hq_set(operator, console, fake_wechat, pinned_clock):
    hq = operator("hq")
    assert hq.post("/admin/notice-templates/template/receipt", RECEIPT_FORM).status_code == 302
    [record] = records("notice_template")
    assert (record.object_key, record.action, record.reason) == ("template:receipt", "update", "新模板审核通过")
    assert record.before["template_id"] == "TPL_RECEIPT" and record.before["active"] is True  # config.py's default
    assert record.after == {"active": True, "template_id": "TPL_RECEIPT_V2", "link": "https://youka.example/m/records",
                            "keys": {"thing1": "station", "amount2": "amount", "time3": "time"}}
    east = db.session.get(Member, console["east"])
    bind(east, "o-east")
    east.following = True
    db.session.commit()
    work()
    fake_wechat.reset()  # what the console fixture's sales sent
    fuel_sale(east, "20.00", at=pinned_clock, station="S002", txn="TPL1")
    work()
    [message] = [m for m in fake_wechat.template_messages if m["touser"] == "o-east"]
    assert message["template_id"] == "TPL_RECEIPT_V2" and message["url"] == "https://youka.example/m/records"
    assert set(message["data"]) == {"thing1", "amount2", "time3"} and message["data"]["thing1"] == {"value": "城西加油站"}
    html = hq.get("/admin/notice-templates").get_data(as_text=True)
    assert "TPL_RECEIPT_V2" in html and "后台修改" in html


def test_switching_a_kind_off_and_back_to_the_default(operator, console):
    hq = operator("hq")
    assert hq.post("/admin/notice-templates/template/tier_up", {"reason": "模板下线"}).status_code == 302
    assert "tier_up" not in delivery.rules().template_kinds and "tier_down" in delivery.rules().template_kinds
    assert notice_templates.current("template", "tier_up") is None
    assert hq.post("/admin/notice-templates/template/tier_up", {"action": "reset", "reason": "恢复"}).status_code == 302
    assert "tier_up" in delivery.rules().template_kinds
    assert db.session.query(NoticeTemplate).count() == 0
    [off, back] = records("notice_template")
    assert (off.action, off.after, back.action, back.before) == ("update", {"active": False}, "reset", {"active": False})
    assert back.after["template_id"] == "TPL_TIER"


BAD_MAPPINGS = [
    ({"keys": "amount1 = station"}, "amount1 是 amount 类型，不能填文字内容 station"),
    ({"keys": "number1 = amount"}, "number1 是 number 类型，不能填金额内容 amount"),
    ({"keys": "time1 = station"}, "time1 是 time 类型，不能填文字内容 station"),
    ({"keys": "colour1 = station"}, "模板字段 colour1 的类型不认识"),
    ({"keys": "thing1 = plate"}, "通知类型 receipt 没有内容 plate"),
    ({"keys": "thing1 = station\nthing1 = amount"}, "模板字段 thing1 写了两次"),
    ({"keys": "thing1 station"}, "每行写一个字段"),
    ({"keys": ""}, "请至少填写一个模板字段"),
    ({"template_id": "TPL RECEIPT"}, "模板 ID 应为"),
    ({"link": "javascript:alert(1)"}, "跳转链接应为 http(s)://"),
    ({"reason": ""}, "请填写原因"),
]


@pytest.mark.parametrize("change,message", BAD_MAPPINGS)
def test_a_mapping_wechat_would_refuse_is_refused_in_chinese(operator, console, change, message):
    resp = operator("hq").post("/admin/notice-templates/template/receipt", {**RECEIPT_FORM, **change})
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert db.session.query(NoticeTemplate).count() == 0 and records("notice_template") == []


def test_marketing_kinds_have_no_template_channel_and_unknown_kinds_are_404(operator, console):
    hq = operator("hq")
    for path in ("/admin/notice-templates/template/birthday", "/admin/notice-templates/subscribe/recall",
                 "/admin/notice-templates/sms/receipt", "/admin/notice-templates/template/nope"):
        assert hq.get(path).status_code == 404 and hq.post(path, RECEIPT_FORM).status_code == 404, path
    assert hq.get("/admin/notice-templates/subscribe/inspection").status_code == 200


def test_config_defaults_fit_the_checks_and_the_declared_fields_are_what_the_kinds_produce(app):
    from bot.channels.values import FORMATTERS
    from config import DEV_NOTICE_TEMPLATES, DEV_SUBSCRIBE_TEMPLATES
    from loyalty.notices.kinds import SPECS
    assert set(notice_templates.ACCEPTS) == set(FORMATTERS)
    for channel, defaults in (("template", DEV_NOTICE_TEMPLATES), ("subscribe", DEV_SUBSCRIBE_TEMPLATES)):
        for kind, entry in defaults.items():
            notice_templates.check(channel, kind, {"template_id": entry["template_id"], "keys": entry["keys"]})
    at = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    sale = {"station": "城东加油站", "litres_ml": 30000, "payable_fen": 1, "points": 1, "points_balance": 1, "at": at}
    facts = {"sale": sale, "refund": {"station": "S", "amount_fen": 1, "points_reversed": 1, "at": at},
             "coupon": {"title": "券"}}
    payload = {"sale_id": 1, "balance_fen": 1, "threshold_fen": 1, "tier": "金", "previous": "银", "title": "券",
               "valid_until": "2026-12-31", "points": 1, "expires_on": "2026-12-31", "days": 7, "coupon_ids": [1],
               "count": 1, "days_since_visit": 30, "plate": "浙A1", "due_on": "2026-12-31", "coupon_id": 1,
               "number": "F1", "answer": "已处理", "invoice_no": "N1", "amount_fen": 1, "pdf_url": "https://x/1.pdf",
               "note": "抬头有误"}
    for kind, spec in SPECS.items():
        assert set(spec.fields(payload, facts)) == set(notice_templates.FIELDS[kind]), kind


# -- reply texts --------------------------------------------------------------------

def test_an_edited_reply_reaches_a_member_through_the_webhook(operator, console, wechat):
    hq = operator("hq")
    before = wechat.say("o-stranger", "反馈 洗手间没有纸")
    assert before.startswith("感谢您的反馈！已记录为工单 ")
    resp = hq.post("/admin/replies/feedback/done", {"text": "收到！工单 {number} 已转给油站，{{加急}}处理。", "reason": "语气更亲切"})
    assert resp.status_code == 302
    after = wechat.say("o-stranger", "反馈 加油机屏幕看不清")
    row = db.session.scalars(select(FeedbackTicket).order_by(FeedbackTicket.id.desc())).first()
    number = ticket_number(row.id, row.created_at)
    assert after == f"收到！工单 {number} 已转给油站，{{加急}}处理。"
    [record] = records("reply_text")
    assert (record.object_key, record.action, record.before, record.reason) == (
        "feedback/done", "update", {"text": None}, "语气更亲切")
    assert record.after == {"text": "收到！工单 {number} 已转给油站，{{加急}}处理。"}
    timeline = hq.get("/admin/changes?kind=reply_text").get_data(as_text=True)
    assert "回复文案" in timeline and "语气更亲切" in timeline


def test_a_reply_kept_once_per_process_and_a_cached_one_both_change_at_once(operator, console, wechat, pinned_clock):
    hq = operator("hq")
    assert wechat.say("o-nobody", "积分").startswith("您还没有绑定手机号")  # `unbound`, read once before
    member = make_member("13800000077", openid="o-cached")
    give_points(member, 100, at=datetime.now(timezone.utc))
    first = cached(wechat, "o-cached")  # now served from Redis without a statement
    everything = generations.keys([generations.EVERYTHING])[0]
    moved_from = int(get_redis().get(everything) or 0)
    assert hq.post("/admin/replies/unbound", {"text": "请先回复「绑定」成为会员，再查积分。", "reason": "更短"}).status_code == 302
    assert int(get_redis().get(everything) or 0) == moved_from + 1  # moved after the commit: cached replies are stale
    assert wechat.say("o-nobody", "积分") == "请先回复「绑定」成为会员，再查积分。"
    with statements() as sql:
        assert wechat.say("o-cached", "积分") == first
    assert sql, "the cached 积分 should be read again after a reply text changed"
    assert hq.post("/admin/replies/unbound", {"action": "reset", "reason": "活动结束"}).status_code == 302
    assert wechat.say("o-nobody", "积分").startswith("您还没有绑定手机号")
    assert db.session.query(ReplyText).count() == 0
    assert [(r.action, r.after) for r in records("reply_text")] == [
        ("update", {"text": "请先回复「绑定」成为会员，再查积分。"}), ("reset", {"text": None})]


BAD_TEXTS = [
    ("feedback/done", "工单 {number}，手机 {phone}", "不认识的占位符 {phone}：这条回复可用 {number}"),
    ("feedback/done", "感谢您的反馈！", "这条回复必须包含 {number}"),
    ("feedback/done", "工单 {number", "花括号不成对"),
    ("feedback/done", "工单 {number} }", "花括号不成对"),
    ("feedback/done", "工单 {number:>20}", "不认识的占位符"),
    ("feedback/done", "工单 {number!r}", "不认识的占位符"),
    ("feedback/done", "{number.__class__}", "不认识的占位符"),
    ("feedback/done", "{ticket.member.phone} {number}", "不认识的占位符"),
    ("welcome", "欢迎 {0}", "不认识的占位符 {0}：这条回复可用 无"),
    ("welcome", "   ", "回复内容不能为空"),
    ("welcome", "欢迎" * 301, "回复内容最长 600 字"),
    ("welcome", "欢迎\x07", "内容不能包含控制字符"),
]


@pytest.mark.parametrize("name,text,message", BAD_TEXTS)
def test_an_edit_that_would_break_a_reply_is_refused_in_chinese(operator, console, name, text, message):
    resp = operator("hq").post(f"/admin/replies/{name}", {"text": text, "reason": "试试"})
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert db.session.query(ReplyText).count() == 0 and records("reply_text") == []


def test_only_the_listed_replies_are_editable(operator, console):
    hq = operator("hq")
    for name in ("points", "help", "bind/../points", "nope"):
        assert hq.get(f"/admin/replies/{name}").status_code == 404, name
        assert hq.post(f"/admin/replies/{name}", {"text": "x", "reason": "r"}).status_code == 404, name
    page = hq.get("/admin/replies/bind/already").get_data(as_text=True)
    assert "您已绑定手机号 {phone}。" in page and "{phone}（已遮盖的手机号" in page


SAMPLES = {"bind/already": {"phone": "13800001234"}, "feedback/ask": {"limit": 200},
           "feedback/done": {"ticket": SimpleNamespace(number="F20261204-0007")},
           "invoice/done": {"request": SimpleNamespace(id=42)}, "survey/thanks": {"rating": 4},
           "referral/scanned": {"referred_points": 100}}


@pytest.mark.parametrize("name", sorted(reply_texts.EDITABLE))
def test_the_shipped_text_as_an_operator_would_write_it_reads_the_same(app, name):
    context = SAMPLES.get(name, {})
    text = reply_texts.check(name, reply_texts.shipped(name))
    assert "{{" not in text  # every Jinja expression became a placeholder
    assert reply_texts.fill(name, text, context) == texts.render(name, **context)
