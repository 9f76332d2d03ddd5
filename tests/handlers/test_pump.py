"""Scanning the QR code on a pump: attach, reply with the e-card, the next sale is theirs."""
import re

import pytest
from rq import Queue
from sqlalchemy import select

from extensions import db, get_redis
from loyalty import demo
from loyalty.till import member_codes, nozzles
from loyalty.people import members
from loyalty.qr_png import qr_matrix, read_png_matrix
from loyalty.people.station_credentials import rotate_secret
from models import Follower, WeChatBinding
from web.api.signing import json_body, signed_headers

OPENID = "o_pump_member"


@pytest.fixture
def bound(app):
    demo.seed()
    member = members.create_member("13900000077", consent=True)
    db.session.add(WeChatBinding(openid=OPENID, member_id=member.id))
    db.session.commit()
    return member


def station_call(client, method, path, payload=None):
    secret = rotate_secret("S001")  # a fresh credential a call keeps the helper stateless
    body = json_body(payload) if payload is not None else b""
    full = "/api/v1/station" + path
    return client.open(full, method=method, data=body, headers=signed_headers("S001", secret, method, full, body))


def queued_texts() -> list[str]:
    jobs = Queue("default", connection=get_redis()).jobs
    return [job.args[1]["content"] for job in jobs if job.args[1]["type"] == "text"]


def test_a_scan_attaches_the_member_and_replies_with_the_e_card(wechat, fake_wechat, bound, client):
    reply = wechat.event(OPENID, "SCAN", "pump:S001:3")
    assert reply["MsgType"] == "image"
    uploaded = next(m for m in fake_wechat.media if m["media_id"] == reply["Image.MediaId"])
    assert uploaded["type"] == "image" and uploaded["content"].startswith(b"\x89PNG")
    # The numeric code follows as a customer-service message; the picture is the same code.
    [text] = queued_texts()
    assert "城东加油站 3 号油枪" in text and "5 分钟" in text
    code = re.search(r"会员码：([\d ]+)", text).group(1).replace(" ", "")
    assert read_png_matrix(uploaded["content"]) == qr_matrix(code)
    assert member_codes.resolve(code).id == bound.id
    assert 290 <= get_redis().ttl("youka:nozzle:S001:3") <= 300
    # The POS asks who is at nozzle 3, then sells there without a code: the member's sale.
    asked = station_call(client, "GET", "/nozzles/3/member")
    assert asked.status_code == 200 and asked.get_json()["member"]["id"] == bound.id
    sale = station_call(client, "POST", "/sales", {"pos_txn_no": "P1", "station_nozzle": "3", "lines": [
        {"kind": "fuel", "grade": "92", "litres": "30.00", "unit_price_fen": 765}]})
    assert sale.status_code == 201 and sale.get_json()["sale"]["member"]["id"] == bound.id
    assert sale.get_json()["sale"]["points_earned"] >= 30
    # The attachment was the sale's: the next one at nozzle 3 is nobody's.
    gone = station_call(client, "GET", "/nozzles/3/member")
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "not_found"


def test_a_failed_sale_leaves_the_member_attached(wechat, bound, client):
    wechat.event(OPENID, "SCAN", "pump:S001:5")
    failed = station_call(client, "POST", "/sales", {"pos_txn_no": "P1", "station_nozzle": "5",
                                                     "pay_with": "balance", "lines": [
        {"kind": "fuel", "grade": "92", "litres": "30.00", "unit_price_fen": 765}]})
    assert failed.status_code == 402
    assert nozzles.attached("S001", "5").id == bound.id


def test_a_first_follow_through_the_pump_code_is_recorded_too(wechat, bound):
    reply = wechat.event(OPENID, "subscribe", "qrscene_pump:S001:2")
    assert reply["MsgType"] == "image"
    follower = db.session.scalars(select(Follower).where(Follower.openid == OPENID)).one()
    assert follower.subscribed and follower.source_scene == "pump:S001:2"
    assert "欢迎" in queued_texts()[0]
    assert nozzles.attached("S001", "2").id == bound.id


def test_an_unbound_member_is_asked_to_bind_first(wechat, app):
    demo.seed()
    reply = wechat.event("o_stranger", "SCAN", "pump:S001:3")
    assert "绑定" in reply["Content"]
    assert get_redis().get("youka:nozzle:S001:3") is None


@pytest.mark.parametrize("scene", ["pump:S999:3", "pump:S001", "pump:S001:3:4", "pump:S001:!!"])
def test_a_stale_or_odd_pump_code_gets_a_polite_answer(wechat, bound, scene):
    reply = wechat.event(OPENID, "SCAN", scene)
    assert "停用" in reply["Content"]


def test_when_the_upload_fails_the_reply_is_the_numeric_code(wechat, fake_wechat, bound):
    fake_wechat.fail("/cgi-bin/media/upload", 40004)
    reply = wechat.event(OPENID, "SCAN", "pump:S001:4")
    assert reply["MsgType"] == "text" and "会员码" in reply["Content"]
    assert nozzles.attached("S001", "4").id == bound.id
