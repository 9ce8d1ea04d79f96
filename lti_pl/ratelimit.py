"""Rate limits on the LTI login and launch (flask-limiter), per client IP.

The counters live in Redis when LTI_PL_REDIS_URL is set (shared by every worker process), else in
memory. A Redis outage never refuses a launch: limiter errors are swallowed and counting falls back
to memory until Redis answers again. Limits are off under TESTING unless the test turns them on
with LTI_PL_RATE_LIMIT_ENABLED=True.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

logger = logging.getLogger(__name__)

#: Endpoints an LMS sends browsers to; each gets LTI_PL_RATE_LIMIT_LAUNCH per client IP.
LIMITED_ENDPOINTS = ("lti.login", "lti.launch")

RATE_LIMITED_MESSAGE = (
    "Too many launches from your network in a short time. "
    "Wait a minute, then open the tool again from your course."
)


def is_enabled(app: Flask) -> bool:
    """Limits are on in production, off under TESTING unless configured on."""
    configured = app.config.get("LTI_PL_RATE_LIMIT_ENABLED")
    return (not app.testing) if configured is None else bool(configured)


def handle_rate_limited(error: RateLimitExceeded) -> ResponseReturnValue:
    """A readable 429 page (JSON for API clients) with Retry-After."""
    from lti_pl.web.errors import wants_json

    logger.warning("rate limited %s %s", request.method, request.path)
    if wants_json():
        return {"error": "rate_limited", "message": RATE_LIMITED_MESSAGE}, 429
    return render_template("errors/domain.html", message=RATE_LIMITED_MESSAGE, status=429), 429


def init_rate_limits(app: Flask) -> Limiter:
    """Attach the limiter and wrap the login and launch views.

    Args:
        app: an app whose LTI blueprint is registered.

    Returns:
        The limiter (also at `app.extensions["lti_pl_limiter"]`).
    """
    redis_url = app.config.get("LTI_PL_REDIS_URL")
    limiter = Limiter(
        get_remote_address,
        storage_uri=redis_url or "memory://",
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {},
        strategy="moving-window",
        swallow_errors=True,
        in_memory_fallback_enabled=bool(redis_url),
        headers_enabled=True,
        key_prefix="lti_pl_limits",
        enabled=is_enabled(app),
    )
    limiter.init_app(app)
    rate = app.config.get("LTI_PL_RATE_LIMIT_LAUNCH") or "60/minute"
    for endpoint in LIMITED_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(rate)(view)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.extensions["lti_pl_limiter"] = limiter  # the limits hold it only weakly
    return limiter
