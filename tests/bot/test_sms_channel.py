"""bot/channels/sms.py: a provider plugs in by "module:factory"; an unknown one stops the
app; a provider that refuses is a Chinese reply, not a crash."""
import pytest

from app import create_app
from bot.channels.sms import SmsError



class Recording:
    """A provider stand-in: records what it was given on the app (the backend's module
    is imported by its dotted name, which need not be the module pytest loaded)."""

    def __init__(self, app):
        self.sent = app.extensions.setdefault("sms_sent", [])

    def send(self, message):
        self.sent.append(message)


class Refusing:
    def __init__(self, app):
        pass

    def send(self, message):
        raise SmsError("provider said no")


@pytest.fixture
def recording(app_config):
    app_config.update(SMS_BACKEND="tests.bot.test_sms_channel:Recording")


@pytest.fixture
def refusing(app_config):
    app_config.update(SMS_BACKEND="tests.bot.test_sms_channel:Refusing")


def test_a_provider_named_by_module_and_factory_gets_the_code_and_the_text(recording, app, wechat):
    wechat.say("o-p", "绑定")
    assert "验证码已发送" in wechat.say("o-p", "13912345678")
    [message] = app.extensions["sms_sent"]
    assert message.to == "13912345678" and message.purpose == "bind" and message.code in message.text


def test_a_provider_that_refuses_gets_a_chinese_reply_and_the_flow_waits(refusing, app, wechat):
    wechat.say("o-r", "绑定")
    assert "短信发送失败" in wechat.say("o-r", "13912345678")


def test_an_unknown_backend_stops_the_app(app_config, app):
    with pytest.raises(ValueError, match="SMS_BACKEND"):
        create_app({**app.config, "SMS_BACKEND": "carrier-pigeon"})
