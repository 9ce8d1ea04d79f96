"""lti_pl: personalized learning inside the LMS, as an LTI 1.3 / LTI Advantage tool."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from lti_pl.database import WRITING_GET_ENDPOINTS, WriteInReadingRequestError

__all__ = ["WRITING_GET_ENDPOINTS", "WriteInReadingRequestError", "create_app"]

TEMPLATES_DIR = str(Path(__file__).resolve().parent.parent / "templates")
STATIC_DIR = str(Path(__file__).resolve().parent / "static")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured app; nothing else in the code creates one."""
    from lti_pl.config import config_from_env
    from lti_pl.web.urls import ToolFlask

    app = ToolFlask(__name__, template_folder=TEMPLATES_DIR, static_folder=STATIC_DIR)
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
    """The database (with its engine tuning), migrations, CSRF, proxy headers, the LTI runtime."""
    from lti_pl.database import (
        engine_options,
        guard_reading_requests,
        read_without_transactions,
        track_writes,
        tune_sqlite,
    )
    from lti_pl.extensions import csrf, db, migrate

    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    _init_database(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    _trust_proxy_headers(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        tune_sqlite(app)
    else:
        read_without_transactions(app)
    guard_reading_requests(app)
    track_writes(app)
    _init_lti_runtime(app)


def _init_database(app: Flask) -> None:
    from lti_pl import models  # noqa: F401 - registers every table
    from lti_pl.extensions import db

    db.init_app(app)


def _trust_proxy_headers(app: Flask) -> None:
    """X-Forwarded-* from LTI_PL_PROXY_HOPS reverse proxies (none by default)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = app.config["LTI_PL_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )


def _init_lti_runtime(app: Flask) -> None:
    from lti_pl.lti.runtime import build_runtime
    from lti_pl.models.base import utcnow

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
