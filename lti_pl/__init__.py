"""lti_pl: personalized learning inside the LMS, as an LTI 1.3 / LTI Advantage tool."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

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
            # Reading requests (GET, HEAD, OPTIONS) begin DEFERRED, so they do not queue behind
            # writers or each other; CLI commands and workers (no request) stay IMMEDIATE.
            # Tests keep deferred BEGIN: their rolled-back outer transaction would block the
            # other connections they open.
            if not app.testing:
                _begin_deferred_for_reading_requests(app)

            @event.listens_for(engine, "begin")
            def _on_begin(connection: Any) -> None:
                connection.exec_driver_sql("BEGIN" if app.testing else _sqlite_begin.get())

    if app.testing or app.config.get("LTI_PL_REFUSE_GET_WRITES"):
        # Every GET the suite requests proves it reads only (or is in WRITING_GET_ENDPOINTS);
        # the browser tests' live server (not TESTING) turns it on with LTI_PL_REFUSE_GET_WRITES.
        with app.app_context():
            _refuse_writes_in_reading_requests(db.engine)

    app.extensions["lti_pl"] = build_runtime(
        app.config["LTI_PL_REDIS_URL"], app.config["LTI_PL_HTTP_TIMEOUT"], utcnow
    )


# The SQLite BEGIN of the current request (see _init_extensions); IMMEDIATE outside requests.
_sqlite_begin: ContextVar[str] = ContextVar("lti_pl_sqlite_begin", default="BEGIN IMMEDIATE")
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# GET endpoints that write (the first signing key; a dynamic registration): they begin IMMEDIATE.
WRITING_GET_ENDPOINTS = frozenset({"lti.jwks", "lti.register"})


def _begin_deferred_for_reading_requests(app: Flask) -> None:
    from flask import request

    @app.before_request
    def _choose_sqlite_begin() -> None:
        reading = (
            request.method in READING_METHODS and request.endpoint not in WRITING_GET_ENDPOINTS
        )
        _sqlite_begin.set("BEGIN" if reading else "BEGIN IMMEDIATE")

    @app.teardown_request
    def _reset_sqlite_begin(_error: BaseException | None) -> None:
        # gunicorn threads serve many requests: the next one (or a job) starts IMMEDIATE again.
        _sqlite_begin.set("BEGIN IMMEDIATE")

    del _choose_sqlite_begin, _reset_sqlite_begin


class WriteInReadingRequestError(RuntimeError):
    """A GET wrote to the database without being listed in WRITING_GET_ENDPOINTS."""


def _refuse_writes_in_reading_requests(engine: Any) -> None:
    """A write during a GET/HEAD/OPTIONS not in WRITING_GET_ENDPOINTS raises (tests only).

    On SQLite such a request begins DEFERRED: a write there fails with "database is locked" as
    soon as another request committed in between, which tests alone would rarely show.
    """
    from flask import has_request_context, request

    @event.listens_for(engine, "before_cursor_execute")
    def _check(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if (
            has_request_context()
            and request.method in READING_METHODS
            and request.endpoint not in WRITING_GET_ENDPOINTS
            and statement.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE"}
        ):
            raise WriteInReadingRequestError(
                f"{request.method} {request.endpoint} writes ({statement[:60]!r}); "
                "add it to WRITING_GET_ENDPOINTS or move the write to a POST"
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
