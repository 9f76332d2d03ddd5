"""The console in headless Chromium against the app on a real port: an HQ admin logs in,
finds a member by the last four digits of the phone, adjusts their points with a reason;
a station manager cannot open another station's member. Screenshots go to
test-artifacts/admin/. Browser set-up as in tests/cashier/test_cashier_e2e.py."""
from __future__ import annotations

from pathlib import Path

import pytest

from extensions import db
from loyalty.people.members import account_of
from models import Adjustment, Member
from tests.admin.fixtures import console  # noqa: F401  (fixtures)
from tests.cashier.fixtures import PASSWORD, pinned_clock, till  # noqa: F401
from tests.cashier.test_cashier_e2e import browser, expect  # noqa: F401  (the Chromium fixture)
from tests.conftest import ServerThread

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def served(console, till):
    server = ServerThread(till)
    yield server.url
    server.stop()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, url: str, username: str) -> None:
    page.goto(url + "/admin/")
    expect(page.locator("h1")).to_have_text("油卡运营后台")  # the one staff login, sent back to /admin
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("nav")).to_contain_text("会员")


def test_an_hq_admin_finds_a_member_by_the_last_four_digits_and_adjusts_points(served, browser, console):
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, served, "hq")
    page.click("nav >> text=会员")
    page.fill("input[name=q]", "1234")
    page.click("button:has-text('查找')")
    results = page.locator("table.results tr")
    expect(results).to_have_count(2)  # the header and the one member ending in 1234
    expect(results.nth(1)).to_contain_text("139****1234")
    results.nth(1).locator("a").click()
    expect(page.locator("h1")).to_contain_text("139****1234")
    expect(page.locator(".points-balance")).to_have_text("40")
    shot(page, "member")
    form = page.locator("form.adjust")
    form.locator("select[name=account_kind]").select_option("points")
    form.locator("input[name=amount]").fill("120")
    form.locator("input[name=reason]").fill("加油机故障漏记积分")
    sent = {name: form.locator(f"input[name={name}]").input_value() for name in ("csrf_token", "key", "amount", "reason")}
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_have_text("已调整")
    expect(page.locator(".points-balance")).to_have_text("160")
    expect(page.locator("table.adjustments")).to_contain_text("加油机故障漏记积分")
    shot(page, "adjusted")
    db.session.expire_all()
    assert account_of(db.session.get(Member, console["east"]), "points").balance == 160
    assert db.session.query(Adjustment).count() == 1
    # The same form posted again from this browser (a double click's second request, its
    # one-time key) adjusts nothing more.
    again = page.request.post(f"{served}/admin/members/{console['east']}/adjustments",
                              form=dict(sent, account_kind="points", bucket="principal"),
                              headers={"Origin": served})
    assert again.ok and "160" in again.text()
    assert db.session.query(Adjustment).count() == 1


def test_a_station_manager_cannot_open_another_station_s_member(served, browser, console):
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, served, "wang")  # S001's manager
    resp = page.goto(f"{served}/admin/members/{console['west']}")  # fuels at S002 only
    assert resp.status == 404
    expect(page.locator(".alert")).to_have_text("会员不存在")
    expect(page.locator("body")).not_to_contain_text("5678")
    resp = page.goto(f"{served}/admin/members/{console['east']}")
    assert resp.status == 200
    expect(page.locator("h1")).to_contain_text("139****1234")
    expect(page.locator("form.adjust")).to_have_count(0)  # no adjustments for a manager
    resp = page.goto(f"{served}/admin/rules")
    assert resp.status == 403
    shot(page, "manager-forbidden")


# The first colour of web/admin/static/dashboards.js's palette (#2f6fbd): the first series
# (the sales chart's 92# litres bars, the tier pie's first slice).
FIRST_SERIES_PIXELS = """() => {
  const canvas = document.querySelector('#chart canvas');
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0, bars = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 0 && !(r > 245 && g > 245 && b > 245)) painted++;
    if (a > 200 && Math.abs(r - 47) < 8 && Math.abs(g - 111) < 8 && Math.abs(b - 189) < 8) bars++;
  }
  return {painted, bars, width: canvas.width, height: canvas.height};
}"""


def test_an_hq_admin_opens_a_dashboard_and_its_chart_is_drawn(served, browser, console, pinned_clock):
    from loyalty.dashboards import rollup
    rollup.nightly(pinned_clock)
    db.session.commit()
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, served, "hq")
    page.click("nav >> text=看板")
    expect(page.locator("h1")).to_have_text("看板：油品销量")
    expect(page.locator("#chart")).to_have_attribute("data-drawn", "yes")
    expect(page.locator(".dash-summary")).to_contain_text("S001 92#：40 升")
    pixels = page.evaluate(FIRST_SERIES_PIXELS)
    assert pixels["width"] > 0 and pixels["painted"] > 2000, pixels
    assert pixels["bars"] > 200, pixels  # the day's 70 L of 92# as a bar, not just axes
    shot(page, "dashboard-sales")
    # The station filter: S002 alone; then the tier pie, drawn too.
    page.select_option("select[name=station]", "S002")
    page.click("button:has-text('查看')")
    expect(page.locator(".dash-summary")).to_contain_text("S002 92#：30 升")
    expect(page.locator(".dash-summary")).not_to_contain_text("S001")
    page.click("text=等级分布")
    expect(page.locator("#chart")).to_have_attribute("data-drawn", "yes")
    assert page.evaluate(FIRST_SERIES_PIXELS)["bars"] > 200  # 普通, the first slice, holds every member
    shot(page, "dashboard-tiers")
