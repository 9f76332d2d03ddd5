"""What each H5 page shows a signed-in member, with figures worked out by hand.

Ana (see fixtures.world): 600 points on 2025-10-15; 30 L and 12.5 L of 92# at ¥7.65 on two
Mondays (no member day; the 普通 tier has no discount; 92# earns 1 point per whole litre)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from extensions import db
from loyalty.benefits import family as family_rules
from loyalty.policy import BUSINESS_TZ
from loyalty.qr_png import read_png_matrix, qr_matrix
from tests.h5.fixtures import form_csrf, form_key, signed_in, world  # noqa: F401


def text_of(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def test_records_list_sales_newest_first_in_yuan_and_litres(signed_in):
    page = text_of(signed_in("o-ana").get("/m/records"))
    # 12.5 L x 7.65 = 95.625 -> ¥95.63 (half up), 12 points; 30 L x 7.65 = ¥229.50, 30 points.
    assert "11-09 10:00 · 92# · 12.50 升 ¥95.63 +12 分" in page
    assert "11-02 10:00 · 92# · 30.00 升 ¥229.50 +30 分" in page
    assert page.index("¥95.63") < page.index("¥229.50")
    assert "40.00 升" not in page  # not Ben's 40 L


def test_records_are_paged(world, signed_in, app):
    app.config["H5_PAGE_SIZE"] = 1
    ana = signed_in("o-ana")
    first, second = text_of(ana.get("/m/records")), text_of(ana.get("/m/records?page=2"))
    assert "¥95.63" in first and "¥229.50" not in first and "第 1 / 2 页" in first
    assert "¥229.50" in second and "¥95.63" not in second and "第 2 / 2 页" in second
    assert "¥229.50" in text_of(ana.get("/m/records?page=99"))  # past the end: the last page


def test_a_sale_in_detail(world, signed_in):
    sale_id = db.session.execute(
        db.text("SELECT id FROM sales WHERE pos_txn_no = 'T-ANA-2'")).scalar()
    page = text_of(signed_in("o-ana").get(f"/m/records/{sale_id}"))
    assert "92# 12.50 升 × ¥7.65 ¥95.63" in page and "实付 ¥95.63" in page and "获得积分 12 分" in page


def test_points_show_the_balance_the_lots_with_their_expiry_and_the_movements(signed_in):
    page = text_of(signed_in("o-ana").get("/m/points"))
    # 600 + 30 + 12 = 642. Points expire at the end of the month 24 months after they were
    # earned: October 2025 -> 2027-10-31; November 2026 -> 2028-11-30.
    assert "我的积分 642 分" in page and "600 分将于 2027-10-31 到期" in page
    assert "2025-10-15 600 600 2027-10-31" in page
    assert "2026-11-02 30 30 2028-11-30" in page and "2026-11-09 12 12 2028-11-30" in page
    assert re.search(r"获得 .*11-09 10:00 \+12 获得 .*11-02 10:00 \+30 获得 10-15 10:00 \+600", page)


def test_rewards_list_the_catalogue_with_what_the_member_can_afford(signed_in):
    page = text_of(signed_in("o-ana").get("/m/rewards"))
    assert "可用积分 642 分" in page
    assert "满200减20券 优惠券 · 500 分 · 还可兑 5 件 兑换" in page
    assert "矿泉水一箱 礼品 · 800 分 · 库存 200 · 还可兑 2 件 积分不足" in page  # 642 < 800


def test_a_redeemed_coupon_shows_on_the_coupons_page_with_its_validity(signed_in):
    ana = signed_in("o-ana")
    html = ana.get("/m/rewards").get_data(as_text=True)
    resp = ana.post("/m/rewards/redeem", data={"csrf_token": form_csrf(html), "item": "COUPON_20",
                                                "request_key": form_key(html, "COUPON_20")})
    assert resp.status_code == 303
    result = text_of(ana.get(resp.headers["Location"]))
    assert "满200减20券 × 1" in result and "消耗积分：500 分" in result and "已完成" in result
    assert "可用积分 142 分" in text_of(ana.get("/m/rewards"))  # 642 - 500
    # FULL200_20 is valid 30 days: from today through the end of the 30th day after it.
    today = datetime.now(BUSINESS_TZ).date()
    coupons = text_of(ana.get("/m/coupons"))
    assert f"满200减20 {today} 至 {today + timedelta(days=30)} 可用" in coupons
    coupon_id = re.search(r'href="/m/coupons/(\d+)"', ana.get("/m/coupons").get_data(as_text=True)).group(1)
    detail = text_of(ana.get(f"/m/coupons/{coupon_id}"))
    assert "状态：可用" in detail and "满 ¥200.00 可用" in detail


def test_a_gift_redemption_shows_its_pickup_code(world, signed_in):
    ben = signed_in("o-ben")
    html = ben.get("/m/rewards").get_data(as_text=True)
    resp = ben.post("/m/rewards/redeem", data={"csrf_token": form_csrf(html), "item": "WATER",
                                                "request_key": form_key(html, "WATER")})
    page = text_of(ben.get(resp.headers["Location"]))
    assert re.search(r"提货码： \d{8}", page) and "待领取" in page and "消耗积分：800 分" in page


def test_the_family_page_shows_the_pool_and_who_earned_what(world, signed_in):
    ana, ben = world["ana"], world["ben"]
    home = family_rules.create(ana, "我家")
    family_rules.invite(home, ana, ben.phone)
    family_rules.join(ben, home)
    db.session.commit()
    page = text_of(signed_in("o-ben").get("/m/family"))
    # The pool holds what both brought: Ana 642, Ben 900 + 40 (40 L of 92#) = 940; 1582 in all.
    assert "家庭积分池「我家」" in page and "共 1582 分" in page
    assert "138****0011 户主 642 分" in page and "139****0022 940 分" in page
    assert "138****0011" in text_of(signed_in("o-ana").get("/m/family"))


def test_a_member_outside_a_family_is_told_how_to_start_one(signed_in):
    assert "回复「家庭」" in text_of(signed_in("o-ana").get("/m/family"))


def test_the_ecard_shows_a_fresh_code_in_fours_and_its_qr(world, signed_in):
    ana = signed_in("o-ana")
    html = ana.get("/m/ecard").get_data(as_text=True)
    digits = re.search(r'id="digits" class="digits">([\d ]+)<', html).group(1)
    assert re.fullmatch(r"66\d\d( \d{4}){3} \d\d", digits)  # 18 digits: 4+4+4+4+2
    assert 'id="seconds">30<' in html and "138****0011" in html
    code = ana.get("/m/ecard/code")
    assert code.status_code == 200 and code.headers["Cache-Control"] == "no-store"
    body = code.json
    assert set(body) >= {"code", "expires_in"} and body["expires_in"] in (59, 60)
    assert body["code"] != digits.replace(" ", "") and body["grouped"].replace(" ", "") == body["code"]
    png = ana.get(body["qr"])
    assert png.mimetype == "image/png" and read_png_matrix(png.data) == qr_matrix(body["code"])


def test_the_index_shows_points_and_stored_value_and_a_masked_phone(signed_in):
    page = text_of(signed_in("o-ana").get("/m/"))
    assert "手机号 138****0011" in page and "642 积分" in page and "0.00 储值余额（元）" in page
    assert "13800000011" not in signed_in("o-ana").get("/m/profile").get_data(as_text=True)
