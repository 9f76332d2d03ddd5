"""The simulator and the fake WeChat API exist only in development: with production
configuration (YOUKA_ENV=production, or a real WECHAT_API_BASE) /simulator, its API and
`/` answer 404, the app serves no fake WeChat endpoint, devstack starts no fake and
`python -m web.wechat_sim` refuses to run."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import devstack
from config import is_development

ROOT = Path(__file__).resolve().parents[2]
DEV_ONLY = ["/simulator/", "/simulator/api/phones", "/simulator/api/inbox?openid=demo-openid",
            "/simulator/open?openid=demo-openid&to=/m/", "/simulator/static/simulator.js",
            "/simulator/media/x"]
FAKE_API = ["/cgi-bin/token?grant_type=client_credential&appid=a&secret=b", "/_sim/state",
            "/connect/oauth2/authorize?appid=a&response_type=code&scope=snsapi_base&redirect_uri=http://x/"]


def test_development_serves_the_simulator_and_leads_there(client):
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/simulator/"
    page = client.get("/simulator/")
    assert page.status_code == 200 and "微信模拟器" in page.get_data(as_text=True)
    assert client.get("/simulator/api/phones").status_code == 200


@pytest.mark.parametrize("settings", [
    {"YOUKA_ENV": "production"},
    {"YOUKA_ENV": "Production "},
    {"WECHAT_API_BASE": "https://api.weixin.qq.com", "WECHAT_OPEN_BASE": "https://open.weixin.qq.com"},
    {"WECHAT_API_BASE": "https://wechat-proxy.example.com"},
], ids=["youka-env", "youka-env-spelt-loosely", "real-wechat", "a-proxy-of-wechat"])
def test_production_configuration_serves_none_of_it(app_factory, settings):
    production = app_factory(**settings)
    client = production.test_client()
    for path in DEV_ONLY + FAKE_API:
        assert client.get(path).status_code == 404, path
    assert client.post("/simulator/api/send", json={"openid": "demo-openid", "text": "积分"}).status_code == 404
    assert client.post("/simulator/api/phones", json={}).status_code == 404
    assert client.get("/").status_code == 404  # not redirected anywhere
    assert not any(rule.rule.startswith("/simulator") for rule in production.url_map.iter_rules())
    assert client.get("/healthz").status_code == 200  # the service itself is there


def test_the_one_question_every_development_aid_asks():
    assert is_development(None, "http://127.0.0.1:5001")
    assert is_development("development", "http://localhost:5001")
    assert not is_development("production", "http://127.0.0.1:5001")
    assert not is_development(None, "https://api.weixin.qq.com")
    assert not is_development(None, "http://127.0.0.1.example.com")
    assert not is_development(None, None)


def test_devstack_starts_no_fake_wechat_in_production(monkeypatch):
    monkeypatch.delenv("WECHAT_API_BASE", raising=False)
    monkeypatch.setenv("YOUKA_ENV", "production")
    stack = devstack.Stack()
    devstack.prepare_fake_wechat(stack, 59999)
    assert stack.children == {} and "WECHAT_API_BASE" not in os.environ


def test_the_fake_wechat_api_refuses_to_run_in_production():
    env = {**os.environ, "YOUKA_ENV": "production"}
    done = subprocess.run([sys.executable, "-m", "web.wechat_sim", "--port", "59998"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "development only" in done.stderr
