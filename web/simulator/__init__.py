"""The local WeChat simulator (development only): a phone-like chat page at /simulator that
plays WeChat's part against the real service, with the cashier page in a frame beside it.

    pages.py     the page, `/` -> /simulator, and /simulator/open (an H5 link inside the phone)
    wechat.py    talking to the service as WeChat does (signed, encrypted when an AES key is
                 set, over HTTP to /wechat) and reading what the fake WeChat API recorded
    bubbles.py   replies, pushes and SMS as the chat's bubbles (one shape for the page)
    phones.py    the simulated phones (an openid and a SIM number each), kept in Redis
    api.py       the JSON the page's script calls (static/simulator.js)

It exists only when config.is_development() says so (YOUKA_ENV not "production" and a
WECHAT_API_BASE on this machine): in production neither /simulator nor the `/` redirect
is registered at all. The fake WeChat API is another process (web/wechat_sim, started by
devstack.py), never part of this app.
"""
from __future__ import annotations

from flask import Blueprint, Flask

from config import is_development

bp = Blueprint("simulator", __name__, url_prefix="/simulator", static_folder="static",
               static_url_path="/static")


def enabled(app: Flask) -> bool:
    """Whether this app serves the simulator (development configuration only)."""
    return is_development(app.config.get("YOUKA_ENV"), app.config.get("WECHAT_API_BASE"))


def init_app(app: Flask) -> None:
    if not enabled(app):
        return
    from web.simulator import api, pages  # noqa: F401  (routes register on bp)
    app.register_blueprint(bp)
    app.add_url_rule("/", "simulator_home", pages.home)
