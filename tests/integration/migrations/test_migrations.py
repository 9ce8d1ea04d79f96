"""The migrations build exactly the models' schema, on the database the suite runs on.

A fresh database (a new SQLite file, or a new PostgreSQL database created with the postgres user
and dropped afterwards) is upgraded with `flask_migrate.upgrade`, then alembic's
`compare_metadata` must find no difference with `db.metadata`. A model change without a
migration fails here: run `scripts/make_migration.sh "what changed"`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from lti_pl import create_app
from lti_pl.extensions import db
from lti_pl.schema import MIGRATIONS

pytestmark = pytest.mark.skipif(
    not any((MIGRATIONS / "versions").glob("*.py")),
    reason="no migrations generated yet (scripts/make_migration.sh --reset)",
)


@pytest.fixture
def fresh_database_url(test_config: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """An empty database on the same server/engine as the suite's database."""
    url = make_url(test_config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"lti_pl_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_app(test_config: dict[str, Any], fresh_database_url: str) -> Iterator[Flask]:
    app = create_app(test_config | {"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def schema_differences(app: Flask) -> list[Any]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_build_the_models_schema(fresh_app: Flask) -> None:
    with fresh_app.app_context():
        upgrade(directory=str(MIGRATIONS))
    assert schema_differences(fresh_app) == []


def test_migrations_downgrade_to_an_empty_database_and_up_again(fresh_app: Flask) -> None:
    with fresh_app.app_context():
        upgrade(directory=str(MIGRATIONS))
        downgrade(directory=str(MIGRATIONS), revision="base")
        with db.engine.connect() as connection:
            left = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert left == set()
        upgrade(directory=str(MIGRATIONS))
    assert schema_differences(fresh_app) == []


def test_ensure_schema_upgrades_a_fresh_database(fresh_app: Flask) -> None:
    from lti_pl.schema import ensure_schema

    with fresh_app.app_context():
        ensure_schema()
        with db.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version
    assert schema_differences(fresh_app) == []


def test_ensure_schema_leaves_a_create_all_database_unstamped(fresh_app: Flask, caplog) -> None:
    from flask_migrate import stamp

    from lti_pl.schema import ensure_schema

    with fresh_app.app_context():
        db.create_all()
        ensure_schema()
        assert "lti-pl db stamp head" in caplog.text
        with db.engine.connect() as connection:
            assert "alembic_version" not in inspect(connection).get_table_names()
        stamp(directory=str(MIGRATIONS))
        ensure_schema()  # at head: nothing to do
    assert schema_differences(fresh_app) == []
