"""A member never sees or changes another member's data, by any URL or id: Ben, signed in,
tries every page and every write with Ana's ids (her sales, coupon, redemption, member
code) and gets a 404 or his own data, never hers; and nothing of hers changes."""
from __future__ import annotations

import re

import pytest

from extensions import db
from loyalty.benefits import coupons, rewards
from loyalty.people.members import account_of
from loyalty.till import member_codes
from models import Member, Redemption, Sale
from tests.h5.fixtures import form_csrf, form_key, signed_in, world  # noqa: F401

ANA_PHONE_MASKED = "138****0011"


@pytest.fixture
def anas(world):
    """Ana's objects: a sale, a coupon, a redemption, a live e-card code."""
    ana = world["ana"]
    sale = db.session.execute(db.select(Sale).where(Sale.pos_txn_no == "T-ANA-1")).scalar_one()
    coupon = coupons.issue(ana, "WASH_FREE", key="idor:wash")
    redemption = rewards.redeem(ana, "DONATE", key="idor:donate")
    db.session.commit()
    return {"sale": sale.id, "coupon": coupon.id, "redemption": redemption.id,
            "code": member_codes.issue(ana, "h5").code}


def test_no_page_for_own_data_takes_a_member_id(app):
    rules = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/m")]
    assert not [r for r in rules if "member" in r or "<int:id>" in r]
    assert sorted(r for r in rules if "<" in r) == ["/m/coupons/<int:coupon_id>", "/m/records/<int:sale_id>",
                                                   "/m/rewards/redemptions/<int:redemption_id>",
                                                   "/m/static/<path:filename>"]


def test_ben_cannot_open_anas_sale_coupon_or_redemption(anas, signed_in):
    ben = signed_in("o-ben")
    for path in (f"/m/records/{anas['sale']}", f"/m/coupons/{anas['coupon']}",
                 f"/m/rewards/redemptions/{anas['redemption']}"):
        resp = ben.get(path)
        assert resp.status_code == 404, path
        assert "未找到该记录" in resp.get_data(as_text=True)
    ana = signed_in("o-ana")  # the same URLs work for their owner
    assert all(ana.get(p).status_code == 200 for p in (
        f"/m/records/{anas['sale']}", f"/m/coupons/{anas['coupon']}", f"/m/rewards/redemptions/{anas['redemption']}"))


def test_ben_cannot_draw_anas_member_code(anas, signed_in):
    ben = signed_in("o-ben")
    assert ben.get(f"/m/ecard/qr.png?code={anas['code']}").status_code == 404
    assert ben.get("/m/ecard/qr.png?code=123").status_code == 404
    assert signed_in("o-ana").get(f"/m/ecard/qr.png?code={anas['code']}").status_code == 200


@pytest.mark.parametrize("path", ["/m/", "/m/records", "/m/points", "/m/coupons", "/m/rewards", "/m/family",
                                  "/m/profile", "/m/ecard"])
def test_every_page_shows_ben_only_his_own_data(anas, signed_in, path):
    html = signed_in("o-ben").get(path + "?member_id=1&member=1&openid=o-ana").get_data(as_text=True)
    assert ANA_PHONE_MASKED not in html
    # 642 is Ana's balance (as a figure of its own: a random e-card code may hold the digits).
    assert "T-ANA" not in html and "¥229.50" not in html and ">642<" not in html and "642 分" not in html


def test_the_code_endpoint_issues_ben_a_code_of_his_own(world, anas, signed_in):
    code = signed_in("o-ben").get("/m/ecard/code?member_id=%d" % world["ana"].id).json["code"]
    assert member_codes.member_id_of(code) == world["ben"].id


def test_bens_writes_change_only_ben(world, anas, signed_in):
    ana_id, ben_id = world["ana"].id, world["ben"].id
    ben = signed_in("o-ben")
    html = ben.get("/m/rewards").get_data(as_text=True)
    csrf = form_csrf(html)
    # Extra fields naming Ana are ignored; the session's member is the only one.
    ben.post("/m/rewards/redeem", data={"csrf_token": csrf, "item": "COUPON_20", "member_id": ana_id,
                                         "request_key": form_key(html, "COUPON_20")})
    ben.post("/m/profile", data={"csrf_token": csrf, "plate": "沪B54321", "member_id": ana_id})
    ben.post("/m/profile/notices", data={"csrf_token": csrf, "marketing": "1", "member_id": ana_id})
    db.session.expire_all()
    ana, ben_row = db.session.get(Member, ana_id), db.session.get(Member, ben_id)
    assert ana.plate is None and ben_row.plate == "沪B54321"
    assert account_of(ana, "points").balance == 632  # 642 - 10 for her own DONATE, nothing else
    assert account_of(ben_row, "points").balance == 440  # 900 + 40 - 500
    assert db.session.scalar(db.select(db.func.count()).select_from(Redemption)
                             .where(Redemption.member_id == ana_id)) == 1


def test_ben_replaying_anas_request_key_redeems_for_ben_not_ana(world, anas, signed_in):
    # Keys are scoped to the session's member, so the same form key is a new request for Ben.
    ana, ben = signed_in("o-ana"), signed_in("o-ben")
    html = ana.get("/m/rewards").get_data(as_text=True)
    key = form_key(html, "DONATE")
    ana.post("/m/rewards/redeem", data={"csrf_token": form_csrf(html), "item": "DONATE", "request_key": key})
    bens = ben.get("/m/rewards").get_data(as_text=True)
    resp = ben.post("/m/rewards/redeem", data={"csrf_token": form_csrf(bens), "item": "DONATE", "request_key": key})
    redemption_id = int(re.search(r"/redemptions/(\d+)", resp.headers["Location"]).group(1))
    assert db.session.get(Redemption, redemption_id).member_id == world["ben"].id


def test_anas_csrf_token_does_not_work_in_bens_session(anas, signed_in):
    ana, ben = signed_in("o-ana"), signed_in("o-ben")
    anas_token = form_csrf(ana.get("/m/profile").get_data(as_text=True))
    assert ben.post("/m/profile", data={"csrf_token": anas_token, "plate": "沪B54321"}).status_code == 403
