"""The migrations are one straight line, go up and down cleanly on both databases, and
build exactly the schema the models declare (no drift for `flask db migrate` to find).

Each branch of work adds a migration; merged side by side they would fork the history
(two heads) and `flask db upgrade` would refuse to run in production."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app import create_app
from extensions import db
from tests.conftest import make_config
from tests.siblings import sibling_database


def scripts(app) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_the_history_is_one_line_from_base_to_a_single_head(app):
    history = scripts(app)
    assert len(history.get_heads()) == 1, history.get_heads()
    revisions = list(history.walk_revisions())  # head first
    assert revisions[-1].down_revision is None
    for newer, older in zip(revisions, revisions[1:]):
        assert newer.down_revision == older.revision, (newer.revision, newer.down_revision)
    # Numbered in order, so the files read in the order they run.
    numbers = [r.revision for r in reversed(revisions)]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


@pytest.fixture(params=["postgresql", "sqlite"])
def scratch_app(request, database_url, redis_url, fake_wechat_server, tmp_path):
    url = database_url if request.param == "postgresql" else f"sqlite:///{tmp_path / 'x.db'}"
    with sibling_database(url, "migrations", tmp_path) as scratch:
        application = create_app(make_config(scratch, redis_url, fake_wechat_server.config["BASE_URL"]))
        with application.app_context():
            yield application
            db.session.remove()
            db.engine.dispose()
        application.extensions["wechat_pool"].shutdown(wait=True)


def schema_drift(app) -> list:
    """What autogenerate would add or drop. PostgreSQL only: SQLite cannot add the
    families <-> members foreign key cycle after the fact, a drift production never sees."""
    if db.engine.dialect.name != "postgresql":
        return []
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)


def table_names(app) -> set[str]:
    from sqlalchemy import inspect
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_up_down_and_up_again_builds_what_the_models_declare(scratch_app):
    upgrade(revision="heads")
    assert table_names(scratch_app) == set(db.metadata.tables)
    assert schema_drift(scratch_app) == []
    downgrade(revision="base")
    assert table_names(scratch_app) == set()
    upgrade(revision="heads")
    assert schema_drift(scratch_app) == []
