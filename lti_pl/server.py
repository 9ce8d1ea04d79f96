"""`lti-pl serve`: gunicorn in-process, with the in-process grade worker where there is no Redis."""

from __future__ import annotations

import gc
import ipaddress
import logging
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

logger = logging.getLogger(__name__)


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


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def gunicorn_options(
    app: Flask, *, host: str, port: int, workers: int | None, threads: int
) -> dict[str, Any]:
    """The gunicorn settings of `lti-pl serve`.

    gthread workers block a thread per connection, so slow clients (a slow upload, a client
    that sends one byte a second) starve them: the tool must be behind a buffering proxy
    (docs/DEPLOYMENT.md). The settings below bound what a client can hold even so: short
    keep-alive, a request timeout, small request lines and headers. Forwarded headers are
    trusted (`forwarded_allow_ips`) only when LTI_PL_PROXY_HOPS says a proxy is in front.
    """
    if workers is None:
        workers = 1 if not app.config["LTI_PL_REDIS_URL"] else 2
    hops = int(app.config.get("LTI_PL_PROXY_HOPS") or 0)
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 2,
        "limit_request_line": 4094,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',  # no query string: tokens
        "forwarded_allow_ips": "127.0.0.1,::1" if hops else "",
    }


def compile_templates(app: Flask) -> int:
    """Compile every page template now, once, before the workers fork (they inherit them).

    Otherwise each worker compiles a template on the first request that renders it, holding
    the GIL for the while: about 9 ms a template, and a launch renders three or four, with the
    other first launches queued behind it. Returns how many were compiled.
    """
    env = app.jinja_env
    names = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in names:
        env.get_template(name)
    return len(names)


def prepare_to_serve(app: Flask) -> None:
    """What `lti-pl serve` does before the workers fork.

    The schema, the tool's first key, and every template compiled (bench.launch_phases prepares
    its app the same way).
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
    compile_templates(app)


def run_gunicorn(app: Flask, *, host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the app until interrupted.

    Without Redis the OIDC state store lives in memory, so one process (with threads) serves;
    with Redis several processes share it.
    """
    prepare_to_serve(app)
    options = gunicorn_options(app, host=host, port=port, workers=workers, threads=threads)
    if not _is_loopback(host):
        logger.warning(
            "serving on %s: lti-pl serve must sit behind a buffering reverse proxy "
            "(nginx, Caddy, a load balancer); slow clients would otherwise hold its threads",
            host,
        )
    hooks = app.extensions.get("lti_pl_worker_hooks", {})
    worker_init = hooks.get("post_worker_init")

    def post_worker_init(worker: Any) -> None:
        # The app, its templates and caches live as long as the worker: keep them out of the
        # cyclic collector's passes: objects alive now are never scanned again (shorter pauses).
        gc.freeze()
        if worker_init is not None:
            worker_init(worker)

    options["post_worker_init"] = post_worker_init
    _Gunicorn(app, options).run()
