"""会员卡: the member code as a QR image, the digits as a customer-service message; a slow
upload gives the digits and a link first; a screenshot dies after one use or 60 s."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue, SimpleWorker

from extensions import get_redis
from loyalty import demo
from loyalty.errors import CodeExpired, CodeUsed
from loyalty.qr_png import qr_matrix, read_png_matrix
from loyalty.till import checkout
from loyalty.till.pricing import FuelLine
from tests.factories import make_member

OPENID = "o_ecard_member"
DIGITS = re.compile(r"会员码：((?:\d{4} ){4}\d{2})")  # 18 digits read in fours: 4+4+4+4+2


@pytest.fixture
def member(app):
    demo.seed()
    return make_member("13900000088", openid=OPENID)


def queued():
    return Queue("default", connection=get_redis()).jobs


def run_jobs():
    SimpleWorker([Queue("default", connection=get_redis())], connection=get_redis()).work(burst=True)


def code_of(text: str) -> str:
    return DIGITS.search(text).group(1).replace(" ", "")


def sell(code: str, txn: str, now: datetime | None = None):
    line = FuelLine(grade="92", litres_ml=20_000, unit_price_fen=765)
    return checkout.sell("S001", txn, [line], member_code=code, now=now)


@pytest.mark.parametrize("word", ["会员卡", "电子会员卡", "付款码"])
def test_each_keyword_replies_with_the_qr_image_and_the_digits_follow(wechat, fake_wechat, member, word):
    reply = wechat.send(OPENID, word)
    assert reply["MsgType"] == "image"
    [uploaded] = [m for m in fake_wechat.media if m["media_id"] == reply["Image.MediaId"]]
    [job] = queued()
    text = job.args[1]["content"]
    assert "60 秒内有效" in text and "仅可使用一次" in text
    # The picture and the digits are the same code.
    assert read_png_matrix(uploaded["content"]) == qr_matrix(code_of(text))
    run_jobs()
    [sent] = fake_wechat.custom_messages
    assert sent["touser"] == OPENID and sent["msgtype"] == "text"


def test_the_menu_button_shows_the_e_card_too(wechat, member):
    assert wechat.click(OPENID, "ECARD")["MsgType"] == "image"


def test_an_unbound_follower_is_asked_to_bind(wechat, app):
    assert "绑定" in wechat.say("o_nobody", "会员卡")


@pytest.fixture
def slow_upload(app_config):
    app_config.update(ECARD_UPLOAD_TIMEOUT=0.3, PUBLIC_BASE_URL="https://youka.example")


def test_a_slow_upload_sends_the_digits_and_the_page_link_first_then_the_image(
        slow_upload, wechat, fake_wechat, member):
    fake_wechat.delay("/cgi-bin/media/upload", 0.8)
    reply = wechat.send(OPENID, "会员卡")
    assert reply["MsgType"] == "text"
    assert "https://youka.example/m/ecard" in reply["Content"]
    code = code_of(reply["Content"])
    fake_wechat.delay("/cgi-bin/media/upload", 0)
    run_jobs()
    [image] = fake_wechat.custom_messages
    assert image["touser"] == OPENID and image["msgtype"] == "image"
    uploaded = next(m for m in fake_wechat.media if m["media_id"] == image["image"]["media_id"])
    assert read_png_matrix(uploaded["content"]) == qr_matrix(code)


def test_a_failed_upload_sends_the_digits_first_and_the_image_follows(wechat, fake_wechat, member):
    fake_wechat.fail("/cgi-bin/media/upload", -1)
    reply = wechat.send(OPENID, "付款码")
    assert reply["MsgType"] == "text" and "/m/ecard" in reply["Content"]
    run_jobs()
    assert [m["msgtype"] for m in fake_wechat.custom_messages] == ["image"]


def test_the_late_image_is_not_sent_once_the_code_was_used(wechat, fake_wechat, member):
    fake_wechat.fail("/cgi-bin/media/upload", -1)
    code = code_of(wechat.say(OPENID, "会员卡"))
    sell(code, "T-late-1")
    run_jobs()
    assert fake_wechat.custom_messages == []


def test_a_screenshot_of_the_code_pays_once_only(wechat, member):
    wechat.send(OPENID, "会员卡")
    code = code_of(queued()[0].args[1]["content"])
    first = sell(code, "T-ecard-1")
    assert first.sale.member_id == member.id
    with pytest.raises(CodeUsed):
        sell(code, "T-ecard-2")


def test_a_screenshot_of_the_code_is_dead_after_sixty_seconds(wechat, member):
    shown = datetime.now(timezone.utc)
    wechat.send(OPENID, "会员卡")
    code = code_of(queued()[0].args[1]["content"])
    # Pinned clock: 61 s after it was shown (MEMBER_CODE_TTL is 60), the code is refused.
    with pytest.raises(CodeExpired):
        sell(code, "T-ecard-3", now=shown + timedelta(seconds=61))
    # ...while 59 s after, it still pays (nothing was used up by the refusal).
    assert sell(code, "T-ecard-4", now=shown + timedelta(seconds=59)).sale.member_id == member.id
