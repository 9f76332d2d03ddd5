"""发票 through the webhook: choose a sale, a title (saved, personal, or a company with a
checked credit code), an email, confirm; the request waits for the operators.

The demo's station S001 is 城东加油站 and sells 92# at 7.65 元/L: 10 L = 76.50 元,
20 L = 153.00 元. Sales at 02:00 UTC are 10:00 in Shanghai, the same date."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty import demo
from loyalty.errors import ValidationError
from loyalty.service import invoices
from loyalty.service.invoices import Title
from loyalty.till import refunds
from models import InvoiceRequest, InvoiceTitle
from tests.factories import bind, fuel_sale, make_member

COMPANY = "深圳某某科技有限公司"
# 91440300MA5F00000 + its check character 7 (worked out in tests/loyalty/test_credit_code.py).
CODE = "91440300MA5F000007"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def member(app):
    demo.seed()
    member = make_member("13800000041", openid="o-inv")
    fuel_sale(member, "10.00", at=utc(2026, 11, 23, 2, 0))   # 76.50
    fuel_sale(member, "20.00", at=utc(2026, 11, 24, 2, 0))   # 153.00
    return member


def requests() -> list[InvoiceRequest]:
    db.session.expire_all()
    return list(db.session.scalars(select(InvoiceRequest).order_by(InvoiceRequest.id)))


def titles() -> list[InvoiceTitle]:
    db.session.expire_all()
    return list(db.session.scalars(select(InvoiceTitle).order_by(InvoiceTitle.id)))


def ask_for(wechat, openid, *answers) -> str:
    reply = wechat.say(openid, "发票")
    for answer in answers:
        reply = wechat.say(openid, answer)
    return reply


def test_a_company_invoice_from_start_to_queue(wechat, member):
    assert wechat.click("o-inv", "INVOICE")["Content"] == (
        "请选择要开票的消费，回复序号：\n"
        "1. 2026-11-24 城东加油站 153.00 元\n"
        "2. 2026-11-23 城东加油站 76.50 元\n"
        "回复「取消」退出。")
    assert wechat.say("o-inv", "3") == "请回复要开票的消费序号（1-2），或回复「取消」退出。"
    assert wechat.say("o-inv", "1") == "请选择发票抬头：\n请回复「个人」或「单位」。"
    assert wechat.say("o-inv", "单位") == "请回复单位名称（与营业执照一致）。"
    assert "统一社会信用代码" in wechat.say("o-inv", COMPANY)
    # The last character should be 7: refused, in Chinese, and asked again.
    assert wechat.say("o-inv", "91440300MA5F000008").startswith("统一社会信用代码不正确")
    assert wechat.say("o-inv", "91440300ma5f000007") == "请回复接收电子发票的邮箱地址。"
    assert wechat.say("o-inv", "fin@example").startswith("邮箱格式不正确")
    assert wechat.say("o-inv", "fin@example.com") == (
        "请确认发票申请：\n"
        "消费：2026-11-24 城东加油站 153.00 元\n"
        f"抬头：{COMPANY}（{CODE}）\n"
        "邮箱：fin@example.com\n"
        "确认请回复「是」，不申请请回复「否」。")
    assert wechat.say("o-inv", "嗯") == "请回复「是」提交发票申请，或回复「否」放弃。"
    done = wechat.say("o-inv", "是")
    [request] = requests()
    assert done == f"发票申请已提交（申请号 {request.id}），开具后将发送到您的邮箱。再次发送「发票」可查看进度。"
    assert (request.member_id, request.amount_fen, request.title_kind, request.title_name, request.title_tax_code,
            request.email, request.status) == (member.id, 15300, "company", COMPANY, CODE, "fin@example.com",
                                               "requested")
    assert [(t.kind, t.name, t.tax_code) for t in titles()] == [("company", COMPANY, CODE)]


def test_asking_again_shows_the_status_offers_the_rest_and_reuses_the_saved_title(wechat, member):
    ask_for(wechat, "o-inv", "1", "单位", COMPANY, CODE, "fin@example.com", "是")
    # The 11-24 sale has its request: shown with its status, no longer offered.
    assert wechat.say("o-inv", "发票") == (
        "您的发票申请：\n"
        f"· 2026-11-24 消费 153.00 元，抬头「{COMPANY}」：处理中\n"
        "\n"
        "请选择要开票的消费，回复序号：\n"
        "1. 2026-11-23 城东加油站 76.50 元\n"
        "回复「取消」退出。")
    assert wechat.say("o-inv", "1") == (
        "请选择发票抬头：\n"
        f"1. 单位：{COMPANY}（{CODE}）\n"
        "回复序号使用已保存的抬头；新抬头请回复「个人」或「单位」。")
    assert wechat.say("o-inv", "2") == "请回复已保存抬头的序号（1-1），或回复「个人」或「单位」新建抬头。"
    assert wechat.say("o-inv", "1") == "请回复接收电子发票的邮箱地址。"
    assert f"抬头：{COMPANY}（{CODE}）" in wechat.say("o-inv", "fin@example.com")
    assert "发票申请已提交" in wechat.say("o-inv", "是")
    assert [(r.amount_fen, r.title_name) for r in requests()] == [(15300, COMPANY), (7650, COMPANY)]
    assert len(titles()) == 1  # reused, not saved twice
    assert wechat.say("o-inv", "发票").endswith("最近没有可开票的消费。")


def test_a_personal_title_and_an_issued_request_with_its_number(wechat, member):
    assert "抬头：个人 张三" in ask_for(wechat, "o-inv", "2", "个人", "张三", "zhang.san@example.cn")
    wechat.say("o-inv", "是")
    [request] = requests()
    assert (request.title_kind, request.title_name, request.title_tax_code, request.amount_fen) == \
        ("personal", "张三", None, 7650)
    request.status, request.invoice_no = "issued", "26442000000012345678"  # the console, later
    db.session.commit()
    assert "· 2026-11-23 消费 76.50 元，抬头「张三」：已开具，发票号 26442000000012345678" in wechat.say("o-inv", "发票")


def test_refunds_count_a_fully_refunded_sale_is_not_offered(wechat, member):
    [newer, older] = invoices.invoiceable_sales(member)
    refunds.refund(older.id, "R1", now=utc(2026, 11, 23, 3, 0))           # all 76.50 back
    refunds.refund(newer.id, "R2", 1000, now=utc(2026, 11, 24, 3, 0))     # 10.00 of 153.00 back
    assert wechat.say("o-inv", "发票") == (
        "请选择要开票的消费，回复序号：\n"
        "1. 2026-11-24 城东加油站 143.00 元\n"   # 153.00 - 10.00
        "回复「取消」退出。")


def test_cancel_and_no_leave_without_a_request(wechat, member):
    assert "已取消" in ask_for(wechat, "o-inv", "1", "个人", "取消")
    assert "未提交" in ask_for(wechat, "o-inv", "1", "个人", "李四", "li@example.com", "否")
    assert requests() == [] and titles() == []


def test_two_chats_confirming_one_sale_queue_one_request(wechat, member):
    bind(member, "o-inv-2")  # the same member on a second WeChat account
    ask_for(wechat, "o-inv", "1", "个人", "张三", "a@example.com")
    ask_for(wechat, "o-inv-2", "1", "个人", "张三", "b@example.com")
    assert "发票申请已提交" in wechat.say("o-inv", "是", msg_id=770001)
    assert "发票申请已提交" in wechat.say("o-inv", "是", msg_id=770001)  # WeChat's re-delivery
    request_id = requests()[0].id
    assert wechat.say("o-inv-2", "是") == f"这笔消费已申请过发票（申请号 {request_id}），再次发送「发票」可查看进度。"
    assert [r.email for r in requests()] == ["a@example.com"]


def test_another_members_sale_cannot_be_requested(member):
    other = make_member("13800000042")
    [sale, _] = invoices.invoiceable_sales(member)
    with pytest.raises(ValidationError):
        invoices.request_invoice(other, sale.id, Title("personal", "王五", None), "w@example.com")
    assert requests() == []


def test_an_unbound_openid_is_guided_to_bind(app, wechat):
    assert "您还没有绑定手机号" in wechat.say("o-inv-nobody", "发票")


def test_erasure_deletes_the_titles_and_blanks_the_emails(wechat, member, runner):
    ask_for(wechat, "o-inv", "1", "单位", COMPANY, CODE, "fin@example.com", "是")
    ask_for(wechat, "o-inv", "1", "个人", "张三", "zhang@example.com", "是")
    assert len(titles()) == 2
    wechat.say("o-inv", "注销")
    assert "已注销" in wechat.say("o-inv", "是")
    assert titles() == []
    assert [(r.title_kind, r.title_name, r.email) for r in requests()] == [
        ("company", COMPANY, None), ("personal", "已注销", None)]
    assert db.session.scalar(select(func.count(InvoiceRequest.id))) == 2  # the queue keeps its sales
    result = runner.invoke(args=["loyalty", "check"])
    assert result.exit_code == 0, result.output
