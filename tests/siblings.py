"""Services beside the tests' own: a database or a Redis db that a test may build, break
and drop while the session keeps using its own (benchmarks, migration round trips)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg
from sqlalchemy.engine import make_url


def sibling_redis(url: str) -> str:
    """The same Redis, another of its 16 dbs: 8 away from the tests' (2 -> 10, 9 -> 1)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":  # unix:///path/redis.sock?db=N
        db = (int(parse_qs(parts.query).get("db", ["0"])[0]) + 8) % 16
        return f"unix://{parts.path}?db={db}"
    db = (int(parts.path.strip("/") or 0) + 8) % 16
    return urlunsplit(parts._replace(path=f"/{db}"))


@contextmanager
def sibling_database(database_url: str, suffix: str, tmp_dir: Path):
    """A fresh, empty database named `<tests' database>_<suffix>` on the same PostgreSQL,
    dropped afterwards (a SQLite file in tmp_dir when the tests' database is not PostgreSQL)."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        yield f"sqlite:///{tmp_dir / f'{suffix}.db'}"
        return
    name = f"{url.database}_{suffix}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    def drop(conn):
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with psycopg.connect(admin, autocommit=True) as conn:
        drop(conn)
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            drop(conn)
