"""The Flask app factory. It reads like a table of contents: each subsystem binds
itself to the app with its own init_app, in this order."""
from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import bot.channels.sms
import bot.cli
import bot.webhook
import bot.wechat
import extensions
import handlers
import jobs.notify
import loyalty.cli
import loyalty.dashboards.cli
import loyalty.generations
import loyalty.notices.cli
import web
import web.api.cli
import web.body_limit
import web.cashier.cli
import loyalty.rate_limit
import web.sessions
import web.staff_login
from config import Config


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    # YOUKA_INSTANCE_PATH moves instance/ (the embedded SQLite file and Redis socket).
    instance = os.environ.get("YOUKA_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.abspath(instance) if instance else None)
    base = config if isinstance(config, Config) else Config.from_env()
    app.config.update(base.as_flask())
    if isinstance(config, dict):
        app.config.update(config)
    app.secret_key = app.config["SECRET_KEY"]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    extensions.init_db(app)        # SQLAlchemy + migrations (SQLite under instance/ by default)
    extensions.init_redis(app)     # Redis, connected on first use (embedded by default)
    loyalty.generations.init_app(app)  # what each commit changed, published to Redis for the caches that read it
    behind_proxy(app)              # PROXY_FIX_X_FOR: the client's address and scheme as the proxy saw them
    web.sessions.init_app(app)     # server-side sessions in Redis (Flask-Session); the cookie is an id
    web.staff_login.init_app(app)  # Flask-Login: the staff of the till and the console, over those sessions
    loyalty.rate_limit.init_app(app)   # the one rate limiter (`limits` on Redis); *_RATE_LIMIT rules checked
    web.body_limit.init_app(app)   # request bodies capped per face, chunked ones too (413)
    bot.wechat.init_app(app)       # the outbound WeChat API client
    bot.channels.sms.init_app(app) # SMS_BACKEND (console by default), flask sms outbox
    jobs.notify.init_app(app)      # outbox rows -> one delivery job each, after their commit
    bot.webhook.init_app(app)      # /wechat
    handlers.init_app(app)         # member commands, in routing order
    web.init_app(app)              # /healthz, the station API, the cashier page, H5, the simulator (dev only)

    bot.cli.init_app(app)          # flask wechat chat | menu
    loyalty.cli.init_app(app)      # flask loyalty check | load-rules, flask demo seed
    loyalty.notices.cli.init_app(app)  # flask notify log | sweep
    loyalty.dashboards.cli.init_app(app)  # flask dashboards rebuild | nightly
    web.api.cli.init_app(app)      # flask station create | rotate-secret | pump-qr, flask member ...
    web.cashier.cli.init_app(app)  # flask staff create | deactivate
    return app


def behind_proxy(app: Flask) -> None:
    """Believe the last PROXY_FIX_X_FOR proxies about the client's address (X-Forwarded-For),
    and the nearest one about scheme and host; with 0 (no proxy) those headers are the
    client's own and are ignored."""
    hops = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1, x_host=1)
