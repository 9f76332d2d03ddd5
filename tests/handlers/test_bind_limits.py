"""The bind flow's SMS send limits (loyalty/rate_limit.py): one send per 60 s per phone and
per openid, five per phone per hour, five per openid per hour over all phones."""
import pytest

from tests.factories import sms_codes

PHONE = "13912345678"


def test_a_second_send_within_60_seconds_is_refused(app, wechat, runner):
    wechat.say("o-fast", "绑定")
    wechat.say("o-fast", PHONE)
    # The window opened at the first send, a moment ago: 60 (or, across a second tick, 59) s left.
    refused = wechat.say("o-fast", "重发")
    assert "发送太频繁了，请 60 秒后再试" in refused or "请 59 秒后再试" in refused
    assert len(sms_codes(runner, PHONE)) == 1


def test_another_openid_cannot_send_to_the_same_phone_within_60_seconds(app, wechat, runner):
    wechat.say("o-a", "绑定")
    wechat.say("o-a", PHONE)
    wechat.say("o-b", "绑定")
    assert "秒后再试" in wechat.say("o-b", PHONE)
    assert len(sms_codes(runner, PHONE)) == 1


@pytest.fixture
def no_interval(app_config):
    # The 60-second rule out of the way, so the hourly rules can be reached without sleeping.
    app_config.update(SMS_INTERVAL_RATE_LIMIT="1000 per minute")


def test_a_phone_gets_at_most_five_codes_an_hour_whoever_asks(no_interval, app, wechat, runner):
    for n in range(5):
        wechat.say(f"o-{n}", "绑定")
        assert "验证码已发送" in wechat.say(f"o-{n}", PHONE)
    wechat.say("o-6th", "绑定")
    assert "分钟后再试" in wechat.say("o-6th", PHONE)
    assert len(sms_codes(runner, PHONE)) == 5


def test_one_openid_cannot_spray_codes_at_many_phones(no_interval, app, wechat, runner):
    phones = [f"1391234560{n}" for n in range(6)]
    for phone in phones[:5]:
        wechat.say("o-spray", "绑定")
        assert "验证码已发送" in wechat.say("o-spray", phone)
        wechat.say("o-spray", "取消")
    wechat.say("o-spray", "绑定")
    assert "分钟后再试" in wechat.say("o-spray", phones[5])
    assert sms_codes(runner, phones[5]) == []
    # Another openid may still send to that phone: the limit is the openid's.
    wechat.say("o-other", "绑定")
    assert "验证码已发送" in wechat.say("o-other", phones[5])
