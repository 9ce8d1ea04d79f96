"""`lti-pl serve`: gunicorn in-process, with the in-process grade worker where there is no Redis."""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def run_gunicorn(app: Flask, *, host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the app until interrupted.

    Without Redis the OIDC state store lives in memory, so one process (with threads) serves;
    with Redis several processes share it.
    """
    from lti_pl.extensions import db
    from lti_pl.lti import keys
    from lti_pl.models.base import utcnow
    from lti_pl.schema import ensure_schema

    with app.app_context():
        ensure_schema()
        keys.ensure_key(utcnow())
        db.session.commit()
        db.engine.dispose()  # no connection shared across the fork
    if workers is None:
        workers = 1 if not app.config["LTI_PL_REDIS_URL"] else 2
    hooks = app.extensions.get("lti_pl_worker_hooks", {})
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',  # no query string: tokens
        "forwarded_allow_ips": "127.0.0.1",
    }
    worker_init = hooks.get("post_worker_init")

    def post_worker_init(worker: Any) -> None:
        # The app, its templates and caches live as long as the worker: keep them out of the
        # cyclic collector's passes: objects alive now are never scanned again (shorter pauses).
        gc.freeze()
        if worker_init is not None:
            worker_init(worker)

    options["post_worker_init"] = post_worker_init
    _Gunicorn(app, options).run()
