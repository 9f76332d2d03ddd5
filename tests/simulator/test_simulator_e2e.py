"""The simulator end to end in headless Chromium (Debian's /usr/bin/chromium through
Playwright, launched as tests/cashier/test_cashier_e2e.py does), against the app served on
a real port with the fake WeChat API over HTTP and RQ jobs run by a real worker (burst):

- a newcomer follows, binds the phone with the SMS code shown in the phone ("106 短信"),
  checks points, shows the e-card; the cashier beside the phone gets the code with one
  click, sells 40 L of 92#; the points went up in the chat; the page is the README's
  screenshot (docs/simulator.png);
- the receipt push appears as a service-notice card (needs the pushes work);
- a pump QR scan attaches the member, and the next sale at that nozzle is theirs;
- pushes the fake recorded show as a phone shows them; an H5 link opens inside the phone.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from extensions import db, get_redis
from loyalty import demo
from loyalty.policy import BUSINESS_TZ
from models import Sale
from tests.cashier.test_cashier_e2e import ARGS, CHROMIUM, sync_api
from tests.conftest import ServerThread
from tests.factories import bind

expect = sync_api.expect
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "simulator.png"
SHOTS = ROOT / "test-artifacts" / "simulator"
DESKTOP = {"width": 1440, "height": 900}


def run_jobs() -> None:
    """What the RQ worker of `make run` does, in burst: the late replies (the e-card's
    numeric code follows its image as a customer-service message), and the pushes."""
    queues = [Queue(name, connection=get_redis()) for name in ("default", "notify")]
    SimpleWorker(queues, connection=get_redis()).work(burst=True)


def points_for_40_litres_now() -> int:
    # 92#: 1 point a litre (loyalty/data/demo-rules.yaml); Tuesday is member day, twice that.
    return 80 if datetime.now(timezone.utc).astimezone(BUSINESS_TZ).isoweekday() == 2 else 40


@pytest.fixture
def served(app_config, request, fake_wechat):
    """The `make run` world without the generated history (members=0: the seed, the whole
    catalogue, the demo logins), served over HTTP; codes live 5 minutes, not 60 s."""
    app_config.update(MEMBER_CODE_TTL=300)
    app = request.getfixturevalue("app")
    demo.seed_all(members=0)
    server = ServerThread(app)
    app.config["PUBLIC_BASE_URL"] = server.url
    yield server.url
    server.stop()


@pytest.fixture
def page():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium.new_page(viewport=DESKTOP)
        chromium.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def open_simulator(page, url: str):
    page.goto(url + "/")  # development: `/` leads to the simulator
    assert page.url == url + "/simulator/"
    page.wait_for_selector("body[data-ready]", state="attached")
    till = page.frame_locator("#cashier")
    till.locator("input[name=username]").fill("cashier1")
    till.locator("input[name=password]").fill(demo.DEMO_PASSWORD)
    till.locator("button[type=submit]").click()
    expect(till.locator(".topbar .station")).to_contain_text("城东加油站（S001）")
    return till


def last_reply(page):
    return page.locator("#chat .msg.them").last


def say(page, text: str) -> None:
    if not page.locator("#text").is_visible():
        page.click("#keyboard")
    page.fill("#text", text)
    page.click("#send")


def tap(page, menu: str, button: str) -> None:
    if page.locator("#menu-toggle").is_visible():
        page.click("#menu-toggle")  # from the keyboard back to the menu, as in WeChat
    page.click(f".menu-top:has-text('{menu}')")
    page.click(f".sub:not([hidden]) button:has-text('{button}')")


def show_ecard_and_copy(page, till) -> None:
    tap(page, "会员卡", "电子会员卡")
    image = page.locator("#chat .msg.them.kind-image img").last
    expect(image).to_be_visible()
    page.wait_for_function("() => { const i = [...document.querySelectorAll('#chat .kind-image img')].pop();"
                           " return i && i.complete && i.naturalWidth > 0; }")
    run_jobs()  # the numeric code follows the image as a customer-service message
    copy = page.locator("#chat .copy[data-code]").last
    expect(copy).to_be_visible(timeout=10000)
    code = copy.get_attribute("data-code")
    assert re.fullmatch(r"66\d{16}", code)
    copy.click()
    expect(till.locator("#member")).to_contain_text("138****8000")


def sell_92(till, litres: str, *, nozzle: str | None = None) -> None:
    till.locator("#fuel-grade").select_option("92")
    till.locator("#fuel-value").fill(litres)
    till.locator("#fuel-form button[type=submit]").click()
    expect(till.locator("#quote")).to_contain_text(f"92# {litres}升 × 7.65元/升")
    till.locator("#confirm-btn").click()
    receipt = till.locator("#receipt-card")
    expect(receipt).to_be_visible()  # (its heading 交易成功 is there, hidden, from the start)
    expect(receipt).to_contain_text("POS 流水号S001-")


def test_a_newcomer_binds_shows_the_ecard_and_the_cashier_sells_fuel(served, page):
    till = open_simulator(page, served)
    expect(page.locator("#sim-state")).to_have_text("未关注 · 未绑定")
    page.click("#follow")
    expect(last_reply(page)).to_contain_text("欢迎关注油卡会员服务")
    expect(page.locator("#sim-state")).to_have_text("已关注 · 未绑定")

    say(page, "绑定")
    expect(last_reply(page)).to_contain_text("请回复您的手机号")
    page.click("#fill-number")
    assert page.input_value("#text") == demo.DEMO_PHONE
    page.click("#send")
    expect(page.locator("#chat .msg.them.kind-text").last).to_contain_text("验证码已发送至 138****8000")
    sms = page.locator("#chat .msg.kind-sms").last
    expect(sms).to_contain_text("106 短信", timeout=10000)
    expect(sms).to_contain_text("【优卡】您的验证码是")
    code = re.search(r"验证码是 (\d{6})", sms.inner_text()).group(1)
    sms.locator("button:has-text('填入验证码')").click()
    assert page.input_value("#text") == code
    page.click("#send")
    expect(last_reply(page)).to_contain_text("同意并绑定请回复「是」")
    say(page, "是")
    expect(last_reply(page)).to_contain_text("手机号 138****8000 的会员账户已绑定本微信")
    expect(page.locator("#sim-state")).to_have_text("已关注 · 已绑定 138****8000")

    tap(page, "会员卡", "我的积分")
    expect(last_reply(page)).to_contain_text("我的积分：0 分")
    show_ecard_and_copy(page, till)
    sell_92(till, "40.00")
    earned = points_for_40_litres_now()
    expect(till.locator("#receipt-card")).to_contain_text(f"获得积分+{earned}")

    tap(page, "会员卡", "我的积分")
    expect(last_reply(page)).to_contain_text(f"我的积分：{earned} 分")
    page.locator("#chat").evaluate("c => c.scrollTop = c.scrollHeight")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "simulator")
    # The README's picture: taken here; committed under docs/ when missing or asked for
    # (UPDATE_SCREENSHOTS=1), so an ordinary run leaves the work tree clean.
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not SCREENSHOT.exists():
        page.screenshot(path=str(SCREENSHOT))


@pytest.fixture
def bound(served):
    """The demo member already bound to the first simulated phone (demo-openid)."""
    bind(demo.demo_member(), "demo-openid")
    return served


def test_the_receipt_push_arrives_in_the_chat_as_a_service_notice(bound, page):
    till = open_simulator(page, bound)
    show_ecard_and_copy(page, till)
    sell_92(till, "40.00")
    run_jobs()  # the outbox's receipt -> a template message through the fake WeChat API
    card = page.locator("#chat .msg.kind-template .card").last
    expect(card).to_be_visible(timeout=8000)
    expect(card.locator(".card-head")).to_have_text("服务通知")
    expect(card).to_contain_text("306.00")  # 40 L x 7.65 yuan


def test_a_pump_scan_attaches_the_member_and_the_next_sale_there_is_theirs(bound, page):
    till = open_simulator(page, bound)
    page.click("#follow")
    expect(last_reply(page)).to_contain_text("欢迎关注")
    page.select_option("#pump-station", "S001")
    page.select_option("#pump-nozzle", "3")
    page.click("#pump-scan")
    expect(page.locator("#chat .system").last).to_have_text("扫描了城东加油站 3 号枪的二维码")
    expect(page.locator("#chat .msg.them.kind-image img").last).to_be_visible()
    run_jobs()
    expect(page.locator("#chat .msg.them.kind-text").last).to_contain_text(
        "已关联城东加油站 3 号油枪", timeout=10000)

    till.locator("#nozzle").select_option("3")
    till.locator("#nozzle-btn").click()
    expect(till.locator("#member")).to_contain_text("138****8000")
    sell_92(till, "20.00")
    db.session.rollback()  # a fresh transaction sees what the till committed
    sale = db.session.scalars(select(Sale).order_by(Sale.id.desc())).first()
    assert (sale.member_id, sale.nozzle, sale.litres_ml) == (demo.demo_member().id, "3", 20000)
    shot(page, "pump-scan")


def test_recorded_pushes_show_as_a_phone_shows_them_and_links_open_inside_it(bound, page, fake_wechat):
    from bot.wechat import get_client
    client = get_client()
    client.send_template("demo-openid", "TPL_RECEIPT", {"thing01": {"value": "城东加油站"},
                                                        "amount2": {"value": "¥306.00"},
                                                        "time3": {"value": "2026-12-01 10:00"}},
                         url=bound + "/m/records")
    client.send_subscribe("demo-openid", "TPL_EXPIRY", {"number1": {"value": "120"}, "date2": {"value": "2026-12-31"}})
    client.send_custom({"touser": "demo-openid", "msgtype": "text", "text": {"content": "客服消息：欢迎回来"}})
    client.send_custom({"touser": "someone-else", "msgtype": "text", "text": {"content": "不是你的"}})
    open_simulator(page, bound)

    card = page.locator("#chat .kind-template .card")
    expect(card.locator(".card-head")).to_have_text("服务通知")
    fields = card.locator(".field")
    expect(fields).to_have_count(3)
    expect(fields.nth(0)).to_have_text("事项城东加油站")
    expect(fields.nth(1)).to_have_text("金额¥306.00")
    expect(fields.nth(2)).to_have_text("时间2026-12-01 10:00")
    notice = page.locator("#chat .kind-subscribe .card")
    expect(notice.locator(".card-head")).to_have_text("订阅通知")
    expect(notice.locator(".field").nth(0)).to_have_text("数量120")
    expect(page.locator("#chat .kind-text .bubble")).to_have_text(["客服消息：欢迎回来"])
    assert "不是你的" not in page.locator("#chat").inner_text()

    card.locator(".card-more").click()  # the notice's link: the H5 records page, signed in through OAuth
    frame = page.frame_locator("#h5-frame")
    expect(frame.locator("h1")).to_contain_text("消费记录")
    assert [e["openid"] for e in fake_wechat.oauth.exchanges] == ["demo-openid"]
    shot(page, "pushes-and-h5")
