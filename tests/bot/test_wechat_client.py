"""The outbound client against the fake WeChat API over real HTTP: one shared token,
one refresh at a time, a retry after a revoked token, errors that say whether to retry."""
import io
import logging
import threading
import time

import pytest

from bot.menu import menu_json
from bot.wechat import build_client, get_client
from bot.wechat_http import BaseURLSession, WeChatAPIError, WeChatTimeout
from extensions import get_redis

CUSTOM = "/cgi-bin/message/custom/send"


def text_to(openid: str, content: str = "您好") -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def stored_token(app) -> str:
    return get_redis().get(f"wechat:token:{app.config['WECHAT_APPID']}").decode()


def test_two_clients_share_one_token(app, fake_wechat):
    first, second = build_client(app), build_client(app)
    first.send_custom(text_to("o-1"))
    second.send_custom(text_to("o-2"))
    assert len(fake_wechat.tokens_issued) == 1
    assert [m["touser"] for m in fake_wechat.custom_messages] == ["o-1", "o-2"]


def test_get_client_is_cached_per_app_and_a_fresh_cache_reuses_the_token(app, fake_wechat):
    client = get_client()
    assert get_client() is client
    client.send_custom(text_to("o-1"))
    app.extensions["wechat_client"] = None
    assert get_client() is not client
    get_client().send_custom(text_to("o-1"))
    assert len(fake_wechat.tokens_issued) == 1


def test_concurrent_first_use_issues_one_token(app, fake_wechat):
    clients = [build_client(app) for _ in range(8)]
    fake_wechat.delay("/cgi-bin/stable_token", 0.3)  # so that every thread finds no token yet
    barrier = threading.Barrier(len(clients))
    tokens: list[str] = []

    def use(client):
        barrier.wait()
        tokens.append(client.access_token)

    threads = [threading.Thread(target=use, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert len(fake_wechat.tokens_issued) == 1


def test_concurrent_calls_on_a_revoked_token_refresh_it_once(app, fake_wechat):
    clients = [build_client(app) for _ in range(8)]
    clients[0].send_custom(text_to("o-0"))
    fake_wechat.invalidate_token(40001)
    barrier = threading.Barrier(len(clients))
    errors: list[Exception] = []

    def send(client, n):
        barrier.wait()
        try:
            client.send_custom(text_to(f"o-{n}"))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert len(fake_wechat.custom_messages) == 9
    assert len(fake_wechat.tokens_issued) == 2


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_revoked_or_expired_token_is_refreshed_and_the_call_retried(app, fake_wechat, errcode):
    client = get_client()
    client.send_custom(text_to("o-1"))
    old = stored_token(app)
    fake_wechat.invalidate_token(errcode)
    client.send_custom(text_to("o-2"))
    assert len(fake_wechat.custom_messages) == 2
    assert len(fake_wechat.tokens_issued) == 2
    # The stored token was the failing one, so only a forced refresh gets a new one.
    assert fake_wechat.tokens_issued[-1]["reuse"] is False
    assert stored_token(app) != old


def test_a_token_another_process_refreshed_is_reused_without_a_new_refresh(app, fake_wechat):
    mine, theirs = build_client(app), build_client(app)
    stale = mine.access_token
    fake_wechat.invalidate_token(40001)
    theirs.send_custom(text_to("o-1"))  # the other process meets 40001 first and refreshes
    assert len(fake_wechat.tokens_issued) == 2
    # This process still holds the stale token: the call fails once, then uses the shared one.
    mine.post("message/custom/send", params={"access_token": stale}, data=text_to("o-2"))
    assert len(fake_wechat.tokens_issued) == 2
    assert [m["touser"] for m in fake_wechat.custom_messages] == ["o-1", "o-2"]


def test_first_fetch_does_not_force_a_refresh(app, fake_wechat):
    get_client().access_token
    assert [t["reuse"] for t in fake_wechat.tokens_issued] == [True]


@pytest.mark.parametrize("errcode, errmsg, final, retryable", [
    (-1, "system error", False, True),
    (45009, "reach max api daily quota limit", False, True),
    (43004, "require subscribe", True, False),
    (43101, "user refuse to accept the msg", True, False),
])
def test_failures_say_whether_to_retry(app, fake_wechat, errcode, errmsg, final, retryable):
    fake_wechat.fail(CUSTOM, errcode)
    with pytest.raises(WeChatAPIError) as info:
        get_client().send_custom(text_to("o-1"))
    assert (info.value.errcode, info.value.errmsg) == (errcode, errmsg)
    assert (info.value.final, info.value.retryable) == (final, retryable)
    assert fake_wechat.custom_messages == []
    get_client().send_custom(text_to("o-1"))  # the failure was for one call only
    assert len(fake_wechat.custom_messages) == 1


@pytest.fixture
def short_timeout(app_config):
    app_config.update(WECHAT_HTTP_TIMEOUT=0.5)


def test_a_slow_wechat_times_out_per_the_configured_timeout(short_timeout, app, fake_wechat):
    client = get_client()
    token = client.access_token
    fake_wechat.delay(CUSTOM, 3)
    started = time.monotonic()
    with pytest.raises(WeChatTimeout) as info:
        client.send_custom(text_to("o-1"))
    assert time.monotonic() - started < 2
    assert info.value.retryable and not info.value.final
    assert token not in str(info.value) and info.value.__cause__ is None


def test_template_message_is_sent_as_utf8(app, fake_wechat):
    data = {"first": {"value": "加油成功"}, "keyword1": {"value": "92#"}}
    result = get_client().send_template("o-1", "TPL_RECEIPT", data, url="https://example.test/r/1",
                                        client_msg_id="sale-1")
    assert fake_wechat.template_messages == [{"touser": "o-1", "template_id": "TPL_RECEIPT", "data": data,
                                              "url": "https://example.test/r/1", "client_msg_id": "sale-1"}]
    assert result["msgid"] == 1


def test_subscribe_message_is_recorded(app, fake_wechat):
    fake_wechat.accept("o-1", "SUB_EXPIRY")  # WeChat sends one notice per acceptance
    get_client().send_subscribe("o-1", "SUB_EXPIRY", {"thing1": {"value": "积分即将过期"}}, page="/points")
    assert fake_wechat.subscribe_messages == [{"touser": "o-1", "template_id": "SUB_EXPIRY",
                                               "data": {"thing1": {"value": "积分即将过期"}}, "page": "/points"}]


def test_wechatpys_own_apis_reach_the_configured_base(app, fake_wechat):
    client = get_client()
    client.message.send_text("o-1", "你好")
    assert fake_wechat.custom_messages[0]["text"] == {"content": "你好"}
    # A wechatpy API that hard-codes https://api.weixin.qq.com still lands on the fake,
    # which answers 48001 for endpoints it does not implement.
    with pytest.raises(WeChatAPIError) as info:
        client.customservice.add_account("kf@youka", "客服", "password")
    assert info.value.errcode == 48001


def test_rebase_keeps_the_real_hosts_when_the_base_is_wechat():
    fake = BaseURLSession("http://127.0.0.1:9", 1)
    real = BaseURLSession("https://api.weixin.qq.com", 1)
    url = "https://file.api.weixin.qq.com/cgi-bin/media/upload"
    assert fake.rebase(url) == "http://127.0.0.1:9/cgi-bin/media/upload"
    assert fake.rebase("https://mp.weixin.qq.com/cgi-bin/showqrcode") == "http://127.0.0.1:9/cgi-bin/showqrcode"
    assert real.rebase("https://mp.weixin.qq.com/cgi-bin/showqrcode") == "https://mp.weixin.qq.com/cgi-bin/showqrcode"


def test_media_upload_is_retried_with_the_whole_file_after_a_revoked_token(app, fake_wechat):
    client = get_client()
    client.access_token
    fake_wechat.invalidate_token(40001)
    media_id = client.upload_media("image", "card.png", io.BytesIO(b"\x89PNG card bytes"))
    assert [(m["media_id"], m["filename"], m["content"]) for m in fake_wechat.media] == [
        (media_id, "card.png", b"\x89PNG card bytes")]


def test_menu_is_created_and_read_back(app, fake_wechat):
    client = get_client()
    client.create_menu(menu_json())
    assert fake_wechat.menus == [menu_json()]
    assert client.get_menu()["menu"] == menu_json()


def test_permanent_and_temporary_qr_tickets(app, fake_wechat):
    client = get_client()
    permanent = client.create_qrcode("pump:S001:3")
    temporary = client.create_qrcode("invite:42", permanent=False, expire_seconds=600)
    assert temporary["expire_seconds"] == 600 and "expire_seconds" not in permanent
    assert [(q["ticket"], q["scene"], q["action_name"]) for q in fake_wechat.qrcodes] == [
        (permanent["ticket"], "pump:S001:3", "QR_LIMIT_STR_SCENE"),
        (temporary["ticket"], "invite:42", "QR_STR_SCENE")]
    assert client.qrcode_image(permanent["ticket"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_neither_the_secret_nor_the_token_is_logged(app, fake_wechat, caplog, monkeypatch):
    # Alembic's fileConfig (migrations/env.py, run by the schema fixture) disables every
    # logger that existed before it; switch ours back on so there is something to read.
    for name in ("youka.wechat", "urllib3.connectionpool"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.DEBUG)
    client = get_client()
    client.send_custom(text_to("o-1"))
    fake_wechat.invalidate_token(40001)
    client.send_custom(text_to("o-2"))
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")  # werkzeug: the fake's access log
    assert "custom/send" in ours and "access token" in ours  # urllib3's and our lines were captured
    assert app.config["WECHAT_SECRET"] not in ours
    assert all(t["token"] not in ours for t in fake_wechat.tokens_issued)
