"""Bring a database to the current schema: Alembic migrations when present, else create_all."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import inspect

from lti_pl.extensions import db

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def has_migrations() -> bool:
    """Whether migrations/versions holds at least one migration."""
    versions = MIGRATIONS / "versions"
    return versions.is_dir() and any(versions.glob("*.py"))


def ensure_schema() -> None:
    """Apply pending migrations (or create tables on a migration-less checkout).

    Writes nothing when the database is already at the head revision. A database built by
    `create_all` (no `alembic_version`, as the test suite and early demos make) only gets missing
    tables created, with a warning: an admin stamps it once with `lti-pl db stamp head`.
    """
    if not has_migrations():
        db.create_all()
        return
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask import current_app
    from flask_migrate import upgrade

    with db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        current = set(MigrationContext.configure(connection).get_current_heads())
    if "alembic_version" not in tables and "platform" in tables:
        logger.warning(
            "database without migration history: run `lti-pl db stamp head` once, "
            "then `lti-pl db upgrade` applies later migrations"
        )
        db.create_all()
        return
    config = current_app.extensions["migrate"].migrate.get_config(str(MIGRATIONS))
    if current == set(ScriptDirectory.from_config(config).get_heads()):
        return
    upgrade(directory=str(MIGRATIONS))
