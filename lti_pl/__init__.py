"""lti_pl: personalized learning inside the LMS, as an LTI 1.3 / LTI Advantage tool."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

TEMPLATES_DIR = str(Path(__file__).resolve().parent.parent / "templates")
STATIC_DIR = str(Path(__file__).resolve().parent / "static")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured app; nothing else in the code creates one."""
    from lti_pl.config import config_from_env

    app = Flask(__name__, template_folder=TEMPLATES_DIR, static_folder=STATIC_DIR)
    config = config_from_env()
    if test_config is not None:
        config.update(test_config)
    app.config.from_mapping(config)
    _init_extensions(app)
    _register_web(app)
    _init_rate_limits(app)
    _register_cli(app)
    _configure_logging(app)
    return app


def _init_extensions(app: Flask) -> None:
    from sqlalchemy import event
    from werkzeug.middleware.proxy_fix import ProxyFix

    from lti_pl import models  # noqa: F401 - registers every table
    from lti_pl.extensions import csrf, db, migrate
    from lti_pl.lti.runtime import build_runtime
    from lti_pl.models.base import utcnow

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    # hide_parameters: SQL logged at INFO (an operator's root logger) never shows bound values,
    # such as a private key being inserted by `lti-pl keys rotate`.
    if uri.startswith("sqlite"):
        app.config.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}, "hide_parameters": True}
        )
    else:
        app.config.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True, "hide_parameters": True}
        )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    hops = app.config["LTI_PL_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    if uri.startswith("sqlite"):
        with app.app_context():
            engine = db.engine

            # SQLAlchemy's pysqlite recipe: let SQLAlchemy emit BEGIN so SAVEPOINTs work.
            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: no fsync per commit, still never corrupt (a power cut may lose the
                # last commits, not the database); several times faster launches.
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.close()

            # IMMEDIATE: a transaction that read and then writes while another thread committed
            # fails at once with "database is locked" (WAL snapshot) instead of waiting; taking
            # the write lock up front makes concurrent requests wait for busy_timeout instead.
            # Tests keep deferred BEGIN: their rolled-back outer transaction would block the
            # other connections they open.
            begin = "BEGIN" if app.testing else "BEGIN IMMEDIATE"

            @event.listens_for(engine, "begin")
            def _on_begin(connection: Any) -> None:
                connection.exec_driver_sql(begin)

    app.extensions["lti_pl"] = build_runtime(
        app.config["LTI_PL_REDIS_URL"], app.config["LTI_PL_HTTP_TIMEOUT"], utcnow
    )


def _register_web(app: Flask) -> None:
    from lti_pl.web import register_web

    register_web(app)


def _init_rate_limits(app: Flask) -> None:
    from lti_pl.ratelimit import init_rate_limits

    init_rate_limits(app)


def _register_cli(app: Flask) -> None:
    from lti_pl.cli import register_cli

    register_cli(app)


def _configure_logging(app: Flask) -> None:
    from lti_pl.log import configure_logging

    configure_logging(app.config["LTI_PL_LOG_LEVEL"])
