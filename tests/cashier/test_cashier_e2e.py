"""The cashier page end to end in headless Chromium, against the app served on a real port:
log in, scan the member's e-card code, enter 40 L of 92#, read the discounts and points,
confirm, read the receipt, refund it, top up. Screenshots go to test-artifacts/cashier/.

Needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk) and
the `playwright` package; Playwright's own browser download is never used (no internet).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ServerThread
from extensions import db
from loyalty.benefits import coupons
from loyalty import demo
from loyalty.till import member_codes
from tests.cashier.fixtures import PASSWORD, pinned_clock, till  # noqa: F401  (fixtures, used through `served`)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "cashier"
TABLET, PHONE = {"width": 1024, "height": 768}, {"width": 390, "height": 844}

from playwright import sync_api  # noqa: E402

expect = sync_api.expect

# `make test` installs the browser; a missing one is a broken machine, never a skip.
if not shutil.which(CHROMIUM):
    raise RuntimeError(f"{CHROMIUM} is missing: run `make test` (it installs chromium and fonts-noto-cjk)")


@pytest.fixture
def served(app_config, pinned_clock, request):
    """The till world (demo seed, staff) served over HTTP at a pinned moment that is not
    member day (see pinned_clock); codes live 5 minutes, not 60 s, so a slow machine does
    not see the member's code expire between steps."""
    app_config.update(MEMBER_CODE_TTL=300)
    app = request.getfixturevalue("till")
    coupons.issue(demo.demo_member(), "L92_30", key="e2e:l92", now=pinned_clock)
    coupons.issue(demo.demo_member(), "FULL200_20", key="e2e:full200", now=pinned_clock)
    db.session.commit()
    server = ServerThread(app)
    yield server.url
    server.stop()


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def shot(page, name: str, **kwargs) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), **kwargs)
    print(f"screenshot: {path}")


def log_in(page, url: str, username: str = "li") -> None:
    page.goto(url + "/cashier/")
    expect(page.locator("h1")).to_have_text("油卡收银台")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".topbar .station")).to_contain_text("城东加油站（S001）")
    page.wait_for_selector("body[data-ready]", state="attached")  # cashier.js has bound its handlers


def test_a_sale_refund_and_top_up_at_the_till(served, browser, pinned_clock):
    points = 40  # 92# earns 1 point a litre; the clock is pinned off member day
    page = browser.new_page(viewport=TABLET)
    page.on("dialog", lambda dialog: dialog.accept())  # the refund's "确认退款？"

    page.goto(served + "/cashier/")
    expect(page.locator("h1")).to_have_text("油卡收银台")
    shot(page, "01-login")
    log_in(page, served)
    expect(page.locator(".topbar .who")).to_have_text("李雷 · 收银员")
    shot(page, "02-screen")

    # A keyboard-wedge scanner types into the focused field and presses Enter.
    code = member_codes.issue(demo.demo_member(), now=pinned_clock).code
    expect(page.locator("#member-code")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    member = page.locator("#member")
    expect(member).to_contain_text("138****8000")
    expect(member).to_contain_text("1050.00 元")
    expect(member).to_contain_text("92#每升减0.30元")
    page.check("input[data-coupon] >> nth=0")
    page.check("input[data-coupon] >> nth=1")

    page.select_option("#fuel-grade", "92")
    page.fill("#fuel-value", "40.00")
    page.click("#fuel-form button[type=submit]")
    quote = page.locator("#quote")
    expect(quote).to_contain_text("92# 40.00升 × 7.65元/升")
    expect(quote).to_contain_text("原价合计306.00 元")
    expect(quote).to_contain_text("92#直降券 0.30元/升-12.00")
    expect(quote).to_contain_text("满200减20-20.00")
    expect(quote).to_contain_text("应付274.00 元")
    expect(quote).to_contain_text("92# 每升1分+40")
    expect(quote).to_contain_text(f"本单积分+{points}")
    page.click("#pay label:has(input[value=balance])")
    expect(page.locator("#confirm-btn")).to_be_enabled()
    shot(page, "03-quote")

    page.click("#confirm-btn")
    receipt = page.locator("#receipt-card")
    expect(receipt).to_contain_text("交易成功")
    expect(receipt).to_contain_text("实付（储值）274.00 元")
    expect(receipt).to_contain_text(f"获得积分+{points}")
    expect(receipt).to_contain_text("储值余额776.00 元")
    expect(receipt).to_contain_text("POS 流水号S001-")
    shot(page, "04-receipt")

    page.fill("#refund-amount", "")
    page.click("#refund-form button[type=submit]")
    expect(receipt).to_contain_text("已全额退款")
    expect(receipt).to_contain_text("储值余额1050.00 元")
    expect(receipt).to_contain_text("积分余额0")
    shot(page, "05-refunded")

    # The code was used by the sale: scanning it again is refused, in Chinese.
    page.click("#new-sale-btn")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text("会员码已使用，请刷新后重新出示")
    shot(page, "06-code-used")

    page.click(".tab[data-tab=topup]")
    expect(page.locator("#topup-code")).to_be_focused()
    page.keyboard.type(member_codes.issue(demo.demo_member(), now=pinned_clock).code)
    page.click("#topup-form [data-amount='500.00']")
    page.select_option("#topup-method", "wechat")
    page.click("#topup-form button[type=submit]")
    result = page.locator("#topup-result")
    expect(result).to_contain_text("充值成功")
    expect(result).to_contain_text("充值金额500.00 元（微信支付）")
    expect(result).to_contain_text("赠送20.00 元（充500送20）")
    expect(result).to_contain_text("储值余额1570.00 元")
    shot(page, "07-topup")


def test_the_till_on_a_phone(served, browser):
    page = browser.new_page(viewport=PHONE)
    log_in(page, served)
    page.fill("#fuel-value", "30")
    page.click("#fuel-form button[type=submit]")
    page.fill("#shop-amount", "4.50")
    page.click("#shop-form button[type=submit]")
    expect(page.locator("#quote")).to_contain_text("应付234.00 元")
    expect(page.locator("#quote")).to_contain_text("非会员不积分")
    shot(page, "08-phone", full_page=True)
