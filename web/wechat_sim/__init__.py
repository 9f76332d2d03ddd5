"""A fake of WeChat's server-side API, for tests and for the local dev stack.

It issues access tokens, checks them on every call, records what the service sends
(template, customer-service and subscription messages, media, menus, QR tickets), plays
web-page OAuth (the authorize redirect and the code -> openid exchange, oauth.py) and
can be told to fail or to be slow, over HTTP (/_sim/...) or through the state object
at `app.extensions["fake_wechat"]`. Serve it with `python -m web.wechat_sim --port 5001`
and point WECHAT_API_BASE at it.
"""
from __future__ import annotations

from flask import Flask

from web.wechat_sim.state import FakeWeChatState


def create_fake_wechat(token_ttl: int = 7200) -> Flask:
    from web.wechat_sim import api, control, oauth  # noqa: F401  (oauth's routes register on api.bp)

    app = Flask(__name__)
    app.json.ensure_ascii = False  # /_sim/state stays readable with Chinese menus and messages
    app.extensions["fake_wechat"] = FakeWeChatState(token_ttl)
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)
    return app


__all__ = ["create_fake_wechat", "FakeWeChatState"]
