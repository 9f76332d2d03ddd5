"""GET /healthz answers 200 only while both the database and Redis answer."""
from __future__ import annotations

import pytest

import config
from app import create_app
from extensions import db

CLOSED_PORT = 1  # nothing listens on port 1, so a connection is refused at once


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.fixture
def app_with(database_url, redis_url, fake_wechat_server):
    """Builds an app whose settings name a server that is down."""
    built = []

    def build(**overrides):
        settings = {"DATABASE_URL": database_url, "REDIS_URL": redis_url} | overrides
        app = create_app(config.TestConfig(WECHAT_API_BASE=fake_wechat_server.config["BASE_URL"], **settings))
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()
        app.extensions["wechat_pool"].shutdown(wait=True)


def test_redis_down(app_with):
    app = app_with(REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["database"] == "ok"
    assert body["redis"].startswith("down")


def test_database_down(app_with):
    app = app_with(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/youka")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["database"].startswith("down")
    assert body["redis"] == "ok"
