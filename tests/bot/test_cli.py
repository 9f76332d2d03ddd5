"""`flask wechat menu` and `flask wechat chat`, run through the CLI runner against the
fake WeChat API and against the real webhook served over HTTP."""
import pytest

from bot.menu import MENU, Button, MenuError, Submenu, menu_errors, menu_json, menu_keys
from conftest import ServerThread

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_the_menu_is_products_menu_in_wechat_json():
    body = menu_json()
    assert [b["name"] for b in body["button"]] == ["会员卡", "积分商城", "服务"]
    assert body["button"][0]["sub_button"][0] == {"type": "click", "name": "电子会员卡", "key": "ECARD"}
    assert menu_keys() == ["ECARD", "MY_POINTS", "MY_BALANCE", "MY_TIER", "REDEEM", "MY_COUPONS", "CHECKIN",
                           "BIND_PHONE", "HISTORY", "INVOICE", "FEEDBACK", "HELP"]
    assert menu_errors(MENU) == []


@pytest.mark.parametrize("menu, fragment", [
    (MENU + (Button("更多", "MORE"),), "1-3 top buttons"),
    ((Submenu("服务", tuple(Button(f"b{i}", f"K{i}") for i in range(6))),), "1-5 buttons"),
    ((Submenu("会员卡会员卡", (Button("a", "A"),)),), "1-16 bytes"),  # 18 bytes in UTF-8
    ((Submenu("卡", (Button("长" * 21, "A"),)),), "1-60 bytes"),
    ((Button("卡", "K" * 129),), "1-128 bytes"),
    ((Button("卡", "A"), Button("券", "A")), "used twice"),
])
def test_menus_over_wechats_limits_are_refused(menu, fragment):
    with pytest.raises(MenuError) as info:
        menu_json(menu)
    assert fragment in str(info.value)


def test_the_limits_are_inclusive():
    assert menu_errors((Submenu("一二三四五", (Button("长" * 20, "K" * 128),)),)) == []


def test_flask_wechat_menu_publishes_the_menu(runner, fake_wechat):
    result = runner.invoke(args=["wechat", "menu"])
    assert result.exit_code == 0, result.output
    assert "Menu published" in result.output
    assert fake_wechat.menus == [menu_json()]


def test_flask_wechat_menu_reports_a_refusal(runner, fake_wechat):
    fake_wechat.fail("/cgi-bin/menu/create", -1)
    result = runner.invoke(args=["wechat", "menu"])
    assert result.exit_code != 0
    assert "system error" in result.output
    assert fake_wechat.menus == []


class QueryRecorder:
    """WSGI middleware that remembers the query strings the webhook received."""

    def __init__(self, app):
        self.app, self.queries = app, []

    def __call__(self, environ, start_response):
        self.queries.append(environ.get("QUERY_STRING", ""))
        return self.app(environ, start_response)


@pytest.fixture
def webhook(app):
    recorder = QueryRecorder(app)
    served = ServerThread(recorder)
    yield served.url + "/wechat", recorder
    served.stop()


def chat(runner, url, text):
    return runner.invoke(args=["wechat", "chat", "--openid", "o-chat", "--url", url], input=text)


def test_chat_in_plain_mode(runner, webhook, wechat):
    url, recorder = webhook
    result = chat(runner, url, "帮助\n/click HELP\n/event unsubscribe\n/bogus\n/quit\n帮助\n")
    assert result.exit_code == 0, result.output
    assert "plain mode" in result.stderr
    help_text = wechat.say("o-other", "帮助")
    assert "绑定" in help_text
    # The keyword and the menu tap both get the help text; unfollowing answers `success`.
    assert result.stdout == f"{help_text}\n{help_text}\n(no reply)\n"
    assert len(recorder.queries) == 3  # /bogus is not sent, nothing after /quit is
    assert all("encrypt_type" not in q for q in recorder.queries)


@pytest.fixture
def safe_mode(app_config):
    app_config.update(WECHAT_AES_KEY=AES_KEY)


def test_chat_in_safe_mode(safe_mode, runner, webhook):
    url, recorder = webhook
    result = chat(runner, url, "帮助\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "safe mode" in result.output and "绑定" in result.output
    assert len(recorder.queries) == 1 and "encrypt_type=aes" in recorder.queries[0]


def test_chat_reports_http_errors(runner, webhook):
    url, _ = webhook
    result = chat(runner, url.replace("/wechat", "/nowhere"), "帮助\n")
    assert "error: HTTP 404" in result.output
    result = chat(runner, "http://127.0.0.1:9/wechat", "帮助\n")
    assert "error: cannot reach http://127.0.0.1:9/wechat" in result.output
