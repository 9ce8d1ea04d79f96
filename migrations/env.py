"""Alembic environment for lti_pl (run through Flask-Migrate: `lti-pl db upgrade`, `db migrate`).

- target metadata: every model (lti_pl.models imports every area, see models/registry.py), with the
  constraint naming convention of models/base.py, so names match on SQLite and PostgreSQL;
- render_as_batch on SQLite: ALTER TABLE there means copy-and-move, which batch mode does;
- compare_type: a changed column type is a migration too;
- UTCDateTime (our TypeDecorator) is written into migrations as sa.DateTime(timezone=True), so a
  migration never imports application code that may later change.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config

# Alembic's ini configures logging for the CLI; inside the app (ensure_schema, tests) the app's
# logging stays as it is (fileConfig would otherwise disable the lti_pl loggers).
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db


def get_metadata():
    import lti_pl.models  # noqa: F401 - registers every table

    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types."""
    from lti_pl.models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_args(url: str) -> dict:
    return {
        "target_metadata": get_metadata(),
        "render_as_batch": url.startswith("sqlite"),
        "compare_type": True,
        "render_item": render_item,
    }


def run_migrations_offline():
    """Emit SQL for the migrations (`lti-pl db upgrade --sql`)."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, literal_binds=True, **configure_args(url))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Apply the migrations to the app's database."""

    # No empty revision when autogenerate finds no change.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    connectable = get_engine()
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    conf_args.update(configure_args(connectable.url.drivername))
    with connectable.connect() as connection:
        context.configure(connection=connection, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
