"""The member's H5 pages end to end in headless Chromium (Debian's /usr/bin/chromium through
Playwright, as tests/cashier/test_cashier_e2e.py launches it), against the app served on a
real port, signing in through the fake WeChat API's OAuth redirect: the e-card refreshes
its code on its own, and a reward is redeemed. Screenshots go to test-artifacts/h5/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cashier.test_cashier_e2e import ARGS, CHROMIUM, sync_api
from tests.conftest import ServerThread
from tests.h5.fixtures import world  # noqa: F401

expect = sync_api.expect
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "h5"


@pytest.fixture
def served(app_config, request, fake_wechat):
    """Ana's world served over HTTP; the e-card refreshes every 2 s instead of 30 s."""
    app_config.update(H5_ECARD_REFRESH=2, H5_CODE_RATE_LIMIT="60 per minute")
    app = request.getfixturevalue("world")["app"]
    server = ServerThread(app)
    app.config["PUBLIC_BASE_URL"] = server.url  # where WeChat sends the browser back to
    fake_wechat.oauth_as("o-ana")  # the WeChat user in this browser
    yield server.url
    server.stop()


@pytest.fixture
def phone():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = chromium.new_page(viewport=PHONE)
        yield page
        chromium.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_ecard_refreshes_its_code_by_itself(served, phone, fake_wechat):
    phone.goto(served + "/m/ecard")  # -> WeChat's authorize page (the fake) -> /m/oauth -> /m/ecard
    expect(phone.locator("h1")).to_have_text("电子会员卡")
    # (A browser keeps the authorize URL's #wechat_redirect fragment through the redirects.)
    assert phone.url.split("#")[0] == served + "/m/ecard"
    assert [e["openid"] for e in fake_wechat.oauth.exchanges] == ["o-ana"]
    digits = phone.locator("#digits")
    first = digits.inner_text()
    assert re.fullmatch(r"66\d\d( \d{4}){3} \d\d", first)
    expect(phone.locator("#seconds")).to_have_text(re.compile(r"^[0-2]$"))
    assert phone.evaluate("document.getElementById('qr').naturalWidth") > 0
    shot(phone, "01-ecard")
    expect(digits).not_to_have_text(first, timeout=8000)  # a new code, about 2 s later
    second = digits.inner_text()
    assert re.fullmatch(r"66\d\d( \d{4}){3} \d\d", second)
    qr = phone.locator("#qr")
    expect(qr).to_have_attribute("src", re.compile(re.escape(second.replace(" ", ""))))
    phone.wait_for_function("document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0")
    shot(phone, "02-ecard-refreshed")


def test_a_member_redeems_a_coupon_on_the_rewards_page(served, phone):
    phone.goto(served + "/m/rewards")
    expect(phone.locator("#balance")).to_have_text("642")
    shot(phone, "03-rewards")
    phone.click("button[data-item=COUPON_20]")
    expect(phone.locator("h1")).to_have_text("兑换结果")
    result = phone.locator("#redemption")
    expect(result).to_contain_text("满200减20券 × 1")
    expect(result).to_contain_text("消耗积分：500 分")
    shot(phone, "04-redeemed")
    phone.goto(served + "/m/rewards")
    expect(phone.locator("#balance")).to_have_text("142")  # 642 - 500
    phone.goto(served + "/m/coupons")
    expect(phone.locator(".list")).to_contain_text("满200减20")
