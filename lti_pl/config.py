"""Configuration: `config_from_env()` alone reads the environment (LTI_PL_* variables)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PREFIX = "LTI_PL_"


def instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """The folder for the SQLite file, the generated secret and uploads."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(f"{PREFIX}INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def _secret_key(folder: Path) -> str:
    """The secret kept in the instance folder, generated on first use (never a constant)."""
    path = folder / "secret_key"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _words(value: str) -> frozenset[str]:
    return frozenset(w.rstrip("/") for w in value.replace(",", " ").split() if w)


def config_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Flask config keys from LTI_PL_* environment variables.

    Args:
        environ: the environment to read (defaults to os.environ).

    Returns:
        A mapping for `app.config.from_mapping`.
    """
    environ = os.environ if environ is None else environ

    def get(name: str, default: str = "") -> str:
        return environ.get(PREFIX + name, default)

    folder = instance_path(environ)
    folder.mkdir(parents=True, exist_ok=True)
    database_url = get("DATABASE_URL") or f"sqlite:///{folder / 'lti_pl.sqlite3'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return {
        "SECRET_KEY": get("SECRET_KEY") or _secret_key(folder),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "LTI_PL_INSTANCE_PATH": str(folder),
        "LTI_PL_BASE_URL": get("BASE_URL").rstrip("/"),
        "LTI_PL_REDIS_URL": get("REDIS_URL") or None,
        "LTI_PL_UPLOAD_FOLDER": get("UPLOAD_FOLDER") or str(folder / "uploads"),
        "MAX_CONTENT_LENGTH": int(get("MAX_UPLOAD_MB", "10")) * 1024 * 1024 + 64 * 1024,
        "LTI_PL_MAX_UPLOAD_BYTES": int(get("MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        # Proxies in front that may set X-Forwarded-For/-Proto/-Host (0: trust none; a client
        # could otherwise choose its own IP for the rate limits and the log).
        # Upload quotas: the files one student keeps in a course, and all files of a course.
        "LTI_PL_STUDENT_QUOTA_BYTES": int(float(get("STUDENT_QUOTA_MB", "250")) * 1024 * 1024),
        "LTI_PL_COURSE_QUOTA_BYTES": int(float(get("COURSE_QUOTA_MB", "10000")) * 1024 * 1024),
        "LTI_PL_PROXY_HOPS": int(get("PROXY_HOPS", "0")),
        "LTI_PL_ROSTER_SYNC_INTERVAL": int(get("ROSTER_SYNC_INTERVAL", "3600")),
        "LTI_PL_KEY_GRACE_DAYS": int(get("KEY_GRACE_DAYS", "7")),
        "LTI_PL_SANDBOX": _flag(get("SANDBOX"), default=False),
        # Grade passback: "auto" (RQ when LTI_PL_REDIS_URL is set, else a thread inside `serve`),
        # "thread", "rq" (a separate `lti-pl worker` woken through Redis), or "external" (only a
        # polling `lti-pl worker` sends; requests never wake anything).
        "LTI_PL_WORKER": get("WORKER", "auto") or "auto",
        # The grade outbox's retry policy (domain.grade_delivery.RetryPolicy): seconds before
        # the first retry (doubling with jitter up to RETRY_MAX), attempts before a score fails
        # for good, and the lease: seconds a worker holds a claimed score before another may take
        # it over.
        "LTI_PL_GRADE_RETRY_BASE": float(get("GRADE_RETRY_BASE", "2")),
        "LTI_PL_GRADE_RETRY_MAX": float(get("GRADE_RETRY_MAX", "600")),
        "LTI_PL_GRADE_MAX_ATTEMPTS": int(get("GRADE_MAX_ATTEMPTS", "12")),
        "LTI_PL_GRADE_LEASE": float(get("GRADE_LEASE", "120")),
        "LTI_PL_HTTP_TIMEOUT": float(get("HTTP_TIMEOUT", "10")),
        "LTI_PL_LOG_LEVEL": get("LOG_LEVEL", "INFO"),
        # lti_pl/ratelimit.py: refused logins + launches per client IP, all logins per client IP,
        # valid launches per launched user; flask-limiter syntax ("60/minute"). A school behind
        # one NAT address is never counted as one: only refusals are counted per address.
        # (RATE_LIMIT_LAUNCH, the former single per-IP limit, is read as RATE_LIMIT_FAILED.)
        "LTI_PL_RATE_LIMIT_FAILED": get("RATE_LIMIT_FAILED")
        or get("RATE_LIMIT_LAUNCH", "60/minute"),
        "LTI_PL_RATE_LIMIT_LOGIN": get("RATE_LIMIT_LOGIN", "2000/minute"),
        "LTI_PL_RATE_LIMIT_USER": get("RATE_LIMIT_USER", "30/minute"),
        # The launch answers with the role's course home itself (one round trip) instead of
        # 303 + GET. None: on, except under TESTING (the suite's launches still expect the 303).
        "LTI_PL_LAUNCH_RENDERS_HOME": _flag(get("LAUNCH_RENDERS_HOME"), default=True)
        if get("LAUNCH_RENDERS_HOME")
        else None,
        # None: on, except under TESTING (a test turns it on explicitly).
        "LTI_PL_RATE_LIMIT_ENABLED": _flag(get("RATE_LIMIT_ENABLED"), default=True)
        if get("RATE_LIMIT_ENABLED")
        else None,
        # Dynamic Registration needs an administrator's consent: a one-time link from
        # `lti-pl platforms invite` (valid INVITE_HOURS), or an issuer on this allow-list.
        "LTI_PL_REGISTRATION_ISSUERS": _words(get("REGISTRATION_ISSUERS")),
        "LTI_PL_INVITE_HOURS": float(get("INVITE_HOURS", "72")),
        # Development only: let registration fetch plain-http or private/loopback URLs.
        "LTI_PL_REGISTRATION_ALLOW_HTTP": _flag(get("REGISTRATION_ALLOW_HTTP"), default=False),
        "LTI_PL_REGISTRATION_ALLOW_PRIVATE": _flag(
            get("REGISTRATION_ALLOW_PRIVATE"), default=False
        ),
        # Let a CASE provider URL (teacher's import page, `lti-pl standards import`) name a
        # private, loopback or link-local address: a provider inside the school's network only.
        "LTI_PL_CASE_ALLOW_PRIVATE": _flag(get("CASE_ALLOW_PRIVATE"), default=False),
        # Strict-Transport-Security max-age on answers served over https (0: never sent).
        "LTI_PL_HSTS_SECONDS": int(get("HSTS_SECONDS", "31536000")),
        # A course page reads the platforms' version (its frame-ancestors) at most this often per
        # process; pages outside a course read it every time (web.PlatformOrigins).
        "LTI_PL_ORIGINS_RECHECK_SECONDS": float(get("ORIGINS_RECHECK_SECONDS", "1")),
        # Sessions (cookie or cookieless URL token) end after SESSION_HOURS at most, after
        # SESSION_IDLE_MINUTES without a request, and a URL token URL_TOKEN_MINUTES after its page
        # was rendered; a launch from the LMS starts a new session; POST /sign-out ends one.
        "LTI_PL_SESSION_HOURS": float(get("SESSION_HOURS", "10")),
        "LTI_PL_SESSION_IDLE_MINUTES": float(get("SESSION_IDLE_MINUTES", "90")),
        "LTI_PL_URL_TOKEN_MINUTES": float(get("URL_TOKEN_MINUTES", "90")),
        "PERMANENT_SESSION_LIFETIME": int(float(get("SESSION_HOURS", "10")) * 3600),
        # The cookie is signed and sent again only when the session changed (its idle clock moves
        # once a minute, lti_pl.web.SEEN_RESOLUTION), not on every page: less work and fewer bytes.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # GET /metrics (Prometheus): with a token, for `Authorization: Bearer <token>`; without,
        # only from loopback and not through a proxy.
        "LTI_PL_METRICS_TOKEN": get("METRICS_TOKEN"),
        # Fernet key(s) encrypting the tool's private signing keys at rest (lti/keys.py).
        "LTI_PL_KEY_ENCRYPTION_KEY": get("KEY_ENCRYPTION_KEY"),
        "SESSION_COOKIE_SECURE": _flag(get("SECURE_COOKIES"), default=True),
        # CHIPS: the LMS iframe is a third-party context; browsers that partition cookies keep it.
        "SESSION_COOKIE_PARTITIONED": _flag(get("SECURE_COOKIES"), default=True),
        "SESSION_COOKIE_SAMESITE": "None",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_NAME": "lti_pl_session",
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": False,
    }
