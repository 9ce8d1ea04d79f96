"""Rate limits on the LTI login and launch that limit abuse, not classrooms.

A whole school often reaches the tool from one NAT address, so no budget counts a school's valid
launches together. Three budgets instead, each a moving window:

- `LTI_PL_RATE_LIMIT_FAILED` (default 60/minute) per client IP counts *refused* logins and
  launches (unknown issuer, bad or replayed token, ...). Past it, further refused requests from
  that address answer 429; a valid login or launch from the same address still passes, so one
  pupil sending rubbish cannot lock the school out.
- `LTI_PL_RATE_LIMIT_LOGIN` (default 2000/minute) per client IP counts every login, a ceiling on
  the OIDC state a single address can make the tool keep (a state lives 10 minutes).
- `LTI_PL_RATE_LIMIT_USER` (default 30/minute) per launched user (the enrollment the launch
  opened) counts valid launches: a reload loop or a replaying script of one person is cut, the
  rest of the class is not.

The counters live in Redis when LTI_PL_REDIS_URL is set (shared by every worker process), else in
memory (`SlowExpiryMemoryStorage`). A Redis outage never refuses a launch: limiter errors are
swallowed and counting falls back to memory until Redis answers again. Limits are off under
TESTING unless the test turns them on with LTI_PL_RATE_LIMIT_ENABLED=True. The client IP is the
socket's peer unless LTI_PL_PROXY_HOPS says how many proxies in front may set X-Forwarded-For.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, make_response, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage

from lti_pl.lti.launch_errors import LaunchError

logger = logging.getLogger(__name__)

#: Endpoints an LMS sends browsers to.
LOGIN_ENDPOINT = "lti.login"
LAUNCH_ENDPOINT = "lti.launch"

DEFAULT_FAILED = "60/minute"
DEFAULT_LOGIN = "2000/minute"
DEFAULT_USER = "30/minute"

RATE_LIMITED_MESSAGE = (
    "Too many launches from your network in a short time. "
    "Wait a minute, then open the tool again from your course."
)


#: Seconds between two passes that drop expired counts from memory (limits' own storage: 0.01).
MEMORY_EXPIRY_SECONDS = 1.0


class SlowExpiryMemoryStorage(MemoryStorage):
    """limits' memory storage, dropping expired counts once a second instead of every 10 ms.

    Each pass walks every key (one per student launched in the last minute) and copies its moving
    window; at limits' 10 ms clock that took 15 % of a worker's GIL time in a py-spy profile of
    2,000 launches. Counting is unchanged: a moving window compares each entry's time itself, and
    the pass only frees memory, now at most a second later.
    """

    STORAGE_SCHEME = ["lti-pl-memory"]  # noqa: RUF012 - typed as a list by limits

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides the private hook
        if not self.timer.is_alive():
            expire = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
            self.timer = threading.Timer(MEMORY_EXPIRY_SECONDS, expire)
            self.timer.daemon = True
            self.timer.start()


class TooManyLaunchesError(Exception):
    """A login or launch over one of the budgets."""

    def __init__(self, budget: str, retry_after: int = 60) -> None:
        super().__init__(budget)
        self.budget = budget
        self.retry_after = retry_after


def is_enabled(app: Flask) -> bool:
    """Limits are on in production, off under TESTING unless configured on."""
    configured = app.config.get("LTI_PL_RATE_LIMIT_ENABLED")
    return (not app.testing) if configured is None else bool(configured)


def _page() -> ResponseReturnValue:
    from lti_pl.web.errors import wants_json

    if wants_json():
        return {"error": "rate_limited", "message": RATE_LIMITED_MESSAGE}, 429
    return render_template("errors/domain.html", message=RATE_LIMITED_MESSAGE, status=429), 429


def handle_rate_limited(error: RateLimitExceeded) -> ResponseReturnValue:
    """A readable 429 page (JSON for API clients) for flask-limiter's own limits."""
    logger.warning("rate limited %s %s", request.method, request.path)
    return _page()


def handle_too_many_launches(error: TooManyLaunchesError) -> ResponseReturnValue:
    """A readable 429 page with Retry-After; the log names the budget, never the person."""
    logger.warning("rate limited %s %s budget=%s", request.method, request.path, error.budget)
    response = make_response(_page())
    response.headers["Retry-After"] = str(error.retry_after)
    return response


class LaunchLimits:
    """The three budgets of the module docstring, on flask-limiter's storage."""

    def __init__(self, app: Flask, limiter: Limiter) -> None:
        self._limiter = limiter
        self.enabled = is_enabled(app)
        self.failed = parse(app.config.get("LTI_PL_RATE_LIMIT_FAILED") or DEFAULT_FAILED)
        self.login = parse(app.config.get("LTI_PL_RATE_LIMIT_LOGIN") or DEFAULT_LOGIN)
        self.user = parse(app.config.get("LTI_PL_RATE_LIMIT_USER") or DEFAULT_USER)

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count one request; False when over the budget (True when Redis is down)."""
        if not self.enabled:
            return True
        try:
            return bool(self._limiter.limiter.hit(item, "lti_pl_limits", *identifiers))
        except Exception:  # a broken limiter backend must never refuse a launch
            logger.warning("rate limiter unavailable; request not counted", exc_info=True)
            return True

    def reset(self) -> None:
        """Forget every count (tests)."""
        self._limiter.reset()

    def wrap(self, endpoint: str, view: Callable[..., Any]) -> Callable[..., Any]:
        """The view, counted against the budgets."""

        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            address = get_remote_address() or "unknown"
            if endpoint == LOGIN_ENDPOINT and not self.hit(self.login, "login", address):
                raise TooManyLaunchesError("login")
            try:
                response = make_response(view(*args, **kwargs))
            except LaunchError:
                if not self.hit(self.failed, "failed", address):
                    raise TooManyLaunchesError("failed") from None
                raise
            if endpoint == LAUNCH_ENDPOINT:
                user = _launched_user()
                if user is not None and not self.hit(self.user, "user", user):
                    # The request rolls back (status >= 400): nothing of this launch is kept.
                    raise TooManyLaunchesError("user")
            return response

        return limited


def _launched_user() -> str | None:
    """The enrollment the launch just opened (the newest entry of the session), if any."""
    launches = session.get("launches") or {}
    if not launches:
        return None
    entry = launches[next(reversed(launches))]
    return str(entry.get("e")) if isinstance(entry, dict) else None


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
        storage_uri=redis_url or "lti-pl-memory://",
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {},
        strategy="moving-window",
        swallow_errors=True,
        in_memory_fallback_enabled=bool(redis_url),
        headers_enabled=True,
        key_prefix="lti_pl_limits",
        enabled=is_enabled(app),
    )
    limiter.init_app(app)
    limits = LaunchLimits(app, limiter)
    for endpoint in (LOGIN_ENDPOINT, LAUNCH_ENDPOINT):
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limits.wrap(endpoint, view)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(TooManyLaunchesError, handle_too_many_launches)
    app.extensions["lti_pl_limiter"] = limiter  # the limits hold it only weakly
    app.extensions["lti_pl_launch_limits"] = limits
    return limiter
