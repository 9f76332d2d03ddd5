"""The report's chart in headless Chromium: an HQ admin opens a campaign's report and the
conversions over the window are drawn (the canvas is not blank). Set-up as in
tests/admin/test_console_e2e.py."""
from __future__ import annotations

from datetime import timedelta

from tests.admin.fixtures import console  # noqa: F401  (fixtures)
from tests.admin.test_console_e2e import DESKTOP, FIRST_SERIES_PIXELS, log_in, served, shot  # noqa: F401
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401
from tests.cashier.test_cashier_e2e import browser, expect  # noqa: F401  (the Chromium fixture)
from tests.campaigns.world import campaign, launch, segment
from tests.factories import fuel_sale, make_member


def test_the_report_draws_conversions_over_the_window(served, browser, console, pinned_clock):
    members = [make_member(f"1390000{n:04d}", consent=True) for n in range(40)]
    segment("ALL", [])
    campaign(holdout_pct="50", window_days="7")
    start = pinned_clock - timedelta(days=10)
    launch(now=start)
    for n, m in enumerate(members[::2]):
        fuel_sale(m, "30", at=start + timedelta(days=1 + n % 5), txn=f"E2E{n}")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, served, "hq")
    page.goto(f"{served}/admin/campaigns/C1/report")
    expect(page.locator("h1")).to_contain_text("活动效果")
    expect(page.locator("#chart")).to_have_attribute("data-drawn", "yes")
    pixels = page.evaluate(FIRST_SERIES_PIXELS)
    assert pixels["width"] > 0 and pixels["painted"] > 2000, pixels
    assert pixels["bars"] > 50, pixels  # the holdout's line (the first colour), not just the axes
    shot(page, "campaign-report")
