"""The Flask app factory. It reads like a table of contents: each subsystem binds
itself to the app with its own init_app, in this order."""
from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

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

    import extensions
    extensions.init_db(app)
    extensions.init_redis(app)

    import bot.webhook
    import bot.wechat
    import handlers
    bot.wechat.init_app(app)
    bot.webhook.init_app(app)
    handlers.init_app(app)

    import bot.cli
    bot.cli.init_app(app)
    import web.api.cli; web.api.cli.init_app(app)  # noqa: E702  (flask station ..., flask member ...)
    import web.cashier.cli; web.cashier.cli.init_app(app)  # noqa: E702  (flask staff ...)

    import web
    web.init_app(app)

    return app
