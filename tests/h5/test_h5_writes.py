"""The H5 writes: CSRF on each, a double-submitted redeem redeems once, the profile is set
once, push preferences, and the rate limits on the e-card code and on writes."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from extensions import db
from loyalty.people.members import account_of
from models import Member, PushPreference, Redemption
from tests.h5.fixtures import form_csrf, form_key, signed_in, world  # noqa: F401

WRITES = {"/m/rewards/redeem": {"item": "DONATE", "request_key": "k" * 20},
          "/m/profile": {"plate": "浙A12345"},
          "/m/profile/notices": {"marketing": "1"}}


def count_redemptions() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Redemption))


@pytest.mark.parametrize("path", sorted(WRITES))
def test_every_write_needs_the_sessions_csrf_token_and_the_same_origin(world, signed_in, path):
    ana = signed_in("o-ana")
    token = form_csrf(ana.get("/m/profile").get_data(as_text=True))
    assert ana.post(path, data=WRITES[path]).status_code == 403  # no token
    assert ana.post(path, data={**WRITES[path], "csrf_token": "forged"}).status_code == 403
    assert ana.post(path, data={**WRITES[path], "csrf_token": token},
                    headers={"Origin": "https://evil.example"}).status_code == 403
    db.session.expire_all()
    ana_row = db.session.get(Member, world["ana"].id)
    assert count_redemptions() == 0 and ana_row.plate is None and db.session.get(PushPreference, ana_row.id) is None
    assert ana.post(path, data={**WRITES[path], "csrf_token": token}).status_code == 303  # and with it, it works


def test_a_write_without_a_session_changes_nothing(world, client):
    assert client.post("/m/profile", data={"plate": "浙A12345"}).status_code == 401


def test_a_double_submitted_redeem_redeems_once(world, signed_in):
    ana = signed_in("o-ana")
    html = ana.get("/m/rewards").get_data(as_text=True)
    form = {"csrf_token": form_csrf(html), "item": "COUPON_20", "request_key": form_key(html, "COUPON_20")}
    first, second = ana.post("/m/rewards/redeem", data=form), ana.post("/m/rewards/redeem", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]  # the same redemption
    assert count_redemptions() == 1
    assert account_of(db.session.get(Member, world["ana"].id), "points").balance == 142  # 642 - 500, once
    # A fresh page gives a fresh key: a second, deliberate redeem is a new one.
    html = ana.get("/m/rewards").get_data(as_text=True)
    ana.post("/m/rewards/redeem", data={**form, "request_key": form_key(html, "DONATE"), "item": "DONATE"})
    assert count_redemptions() == 2


def test_redeeming_without_enough_points_says_so_and_spends_nothing(world, signed_in):
    ana = signed_in("o-ana")
    html = ana.get("/m/rewards").get_data(as_text=True)
    resp = ana.post("/m/rewards/redeem", data={"csrf_token": form_csrf(html), "item": "WATER",
                                                "request_key": form_key(html, "WATER")})
    assert resp.status_code == 409
    assert "积分不足，需要800积分，可用642积分" in resp.get_data(as_text=True)
    assert count_redemptions() == 0


def test_a_malformed_redeem_is_refused_with_a_message(world, signed_in):
    ana = signed_in("o-ana")
    token = form_csrf(ana.get("/m/rewards").get_data(as_text=True))
    resp = ana.post("/m/rewards/redeem", data={"csrf_token": token, "item": "DONATE", "request_key": "short"})
    assert resp.status_code == 400 and "请求无效" in resp.get_data(as_text=True)
    resp = ana.post("/m/rewards/redeem", data={"csrf_token": token, "item": "NOPE", "request_key": "k" * 20})
    assert resp.status_code == 404


def test_the_profile_is_set_once_then_only_by_an_operator(world, signed_in):
    ana = signed_in("o-ana")
    token = form_csrf(ana.get("/m/profile").get_data(as_text=True))
    resp = ana.post("/m/profile", data={"csrf_token": token, "plate": "浙a·12345", "vehicle_type": "suv",
                                        "preferred_grade": "95", "birthday": "1990-05-20"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/m/profile?saved=1"
    page = ana.get("/m/profile").get_data(as_text=True)
    assert "<output>浙A12345</output>" in page and "<output>SUV</output>" in page and "<output>95#</output>" in page
    assert "<output>1990-05-20</output>" in page and 'name="plate"' not in page
    # Sent again unchanged (a resubmitted form): fine. Changed: refused, nothing written.
    assert ana.post("/m/profile", data={"csrf_token": token, "plate": "浙A12345"}).status_code == 303
    resp = ana.post("/m/profile", data={"csrf_token": token, "vehicle_type": "sedan", "birthday": "1991-01-01"})
    assert resp.status_code == 400 and "车型已设置，如需修改请联系加油站工作人员" in resp.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(Member, world["ana"].id)
    assert (row.plate, row.vehicle_type, row.preferred_grade, str(row.birthday)) == ("浙A12345", "suv", "95", "1990-05-20")


@pytest.mark.parametrize("field, value, message", [
    ("plate", "12345", "车牌号格式不正确"), ("vehicle_type", "tank", "请选择车型"),
    ("preferred_grade", "93", "请选择油品"), ("birthday", "2999-01-01", "生日不在有效范围内"),
    ("birthday", "yesterday", "生日格式不正确"), ("vehicle_registered_on", "1949-12-31", "注册日期不在有效范围内"),
    ("vehicle_registered_on", "2999-01-01", "注册日期不在有效范围内"),
    ("vehicle_registered_on", "2020/03/15", "注册日期格式不正确")])
def test_a_bad_profile_value_is_refused_with_a_chinese_message(world, signed_in, field, value, message):
    ana = signed_in("o-ana")
    token = form_csrf(ana.get("/m/profile").get_data(as_text=True))
    resp = ana.post("/m/profile", data={"csrf_token": token, field: value})
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def test_the_vehicle_s_registration_date_is_set_once_and_brings_its_inspection_reminder(world, signed_in):
    from datetime import date, datetime, timezone

    from loyalty.reminders import inspection
    from models import Outbox
    ana = signed_in("o-ana")
    token = form_csrf(ana.get("/m/profile").get_data(as_text=True))
    assert ana.post("/m/profile", data={"csrf_token": token, "plate": "浙A12345",
                                        "vehicle_registered_on": "2015-03-15"}).status_code == 303
    page = ana.get("/m/profile").get_data(as_text=True)
    assert "<output>2015-03-15</output>" in page and 'name="vehicle_registered_on"' not in page
    resp = ana.post("/m/profile", data={"csrf_token": token, "vehicle_registered_on": "2016-03-15"})
    assert resp.status_code == 400 and "行驶证注册日期已设置" in resp.get_data(as_text=True)
    db.session.expire_all()
    member = db.session.get(Member, world["ana"].id)
    assert member.vehicle_registered_on == date(2015, 3, 15)
    member.consent_at = member.consent_at or datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    # Its 12th anniversary, 2027-03-15, is 30 days after 2027-02-13 (Shanghai).
    assert inspection.write_due(now=datetime(2027, 2, 13, 2, 0, tzinfo=timezone.utc)) == 1
    row = db.session.scalars(db.select(Outbox).where(Outbox.kind == "inspection")).one()
    assert row.dedup_key == f"inspection:{member.id}:2027-03-15"


def test_push_preferences_default_to_service_and_reminders_and_are_stored_per_category(world, signed_in):
    ana = signed_in("o-ana")
    page = ana.get("/m/profile").get_data(as_text=True)
    assert 'name="service_notices" value="1" checked' in page and 'name="marketing" value="1" >' in page
    ana.post("/m/profile/notices", data={"csrf_token": form_csrf(page), "marketing": "1"})
    row = db.session.get(PushPreference, world["ana"].id)
    assert (row.service_notices, row.reminders, row.marketing) == (False, False, True)
    ana.post("/m/profile/notices", data={"csrf_token": form_csrf(page), "service_notices": "1", "reminders": "1"})
    db.session.expire_all()
    row = db.session.get(PushPreference, world["ana"].id)
    assert (row.service_notices, row.reminders, row.marketing) == (True, True, False)


def test_the_code_endpoint_is_rate_limited_per_member(world, signed_in, app):
    app.config["H5_CODE_RATE_LIMIT"] = "3 per minute"
    ana, ben = signed_in("o-ana"), signed_in("o-ben")
    assert [ana.get("/m/ecard/code").status_code for _ in range(3)] == [200, 200, 200]
    refused = ana.get("/m/ecard/code")
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert ben.get("/m/ecard/code").status_code == 200  # Ben has his own count


def test_writes_are_rate_limited_per_member(world, signed_in, app):
    app.config["H5_WRITE_RATE_LIMIT"] = "2 per minute"
    ana = signed_in("o-ana")
    token = form_csrf(ana.get("/m/profile").get_data(as_text=True))
    codes = [ana.post("/m/profile/notices", data={"csrf_token": token}).status_code for _ in range(3)]
    assert codes == [303, 303, 429]


def test_a_body_over_the_limit_is_refused(world, signed_in):
    ana = signed_in("o-ana")
    token = form_csrf(ana.get("/m/profile").get_data(as_text=True))
    resp = ana.post("/m/profile", data={"csrf_token": token, "plate": "x" * 20000})
    assert resp.status_code == 413 and "内容过长" in resp.get_data(as_text=True)


def test_the_oauth_callback_is_rate_limited_per_address(world, client, app):
    app.config["H5_OAUTH_RATE_LIMIT"] = "2 per minute"
    assert [client.get("/m/oauth?code=x&state=y").status_code for _ in range(3)] == [400, 400, 429]


def test_four_simultaneous_posts_of_one_redeem_form_redeem_once(world, signed_in):
    # The same form (one request key) posted four times at once, as a phone retrying on a
    # bad network might: one redemption, 10 points spent once, every post sent to it (DONATE
    # has no limit and Ana could pay for 64 of them, so only the key keeps it to one).
    ana = signed_in("o-ana")
    html = ana.get("/m/rewards").get_data(as_text=True)
    form = {"csrf_token": form_csrf(html), "item": "DONATE", "request_key": form_key(html, "DONATE")}
    gate = threading.Barrier(4, timeout=30)

    def post(_):
        gate.wait()
        return ana.post("/m/rewards/redeem", data=form)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post, range(4)))
    assert [a.status_code for a in answers] == [303] * 4
    assert len({a.headers["Location"] for a in answers}) == 1
    db.session.expire_all()
    assert count_redemptions() == 1
    assert account_of(db.session.get(Member, world["ana"].id), "points").balance == 632  # 642 - 10
