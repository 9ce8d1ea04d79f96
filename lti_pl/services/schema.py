"""Bring a database to the current schema: Alembic migrations when present, else create_all."""

from __future__ import annotations

from pathlib import Path

from lti_pl.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def ensure_schema() -> None:
    """Apply migrations (or create tables on a migration-less checkout)."""
    if (MIGRATIONS / "versions").is_dir() and any((MIGRATIONS / "versions").glob("*.py")):
        from flask_migrate import upgrade

        upgrade(directory=str(MIGRATIONS))
    else:
        db.create_all()
