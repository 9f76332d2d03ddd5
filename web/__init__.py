"""HTTP faces other than the webhook."""
from flask import Flask


def init_app(app: Flask) -> None:
    from web import health
    app.register_blueprint(health.bp)
