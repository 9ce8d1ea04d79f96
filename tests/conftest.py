"""Fixtures: app, client, runner, db_session, platform (the LMS emulator over real HTTP)."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session, sessionmaker

from lti_pl import create_app
from lti_pl.extensions import db
from tests.support.platform_emulator import PlatformEmulator

TOOL_URL = "https://tool.test"
#: Profiles of tests/support/platform_emulator.py that `platform_profiles` tests run against.
#: LTI_PL_TEST_PLATFORM_PROFILES (comma-separated) narrows them: .ci/run runs all three on
#: SQLite and only the generic one on PostgreSQL, where the profiles add database time, not
#: platform behaviour.
PLATFORM_PROFILES = ("generic", "moodle", "canvas")
_PROFILES_ENV = os.environ.get("LTI_PL_TEST_PLATFORM_PROFILES", ",".join(PLATFORM_PROFILES))
SELECTED_PROFILES = tuple(name.strip() for name in _PROFILES_ENV.split(",") if name.strip())


def _worker_redis_url() -> None:
    """Give each pytest-xdist worker its own Redis database (gw0: the given one, gw1: one below).

    A worker flushes its database at the start of its session and RQ workers take any job of
    their queue: two test sessions on one Redis database would empty or run each other's work.
    Set here, at import, because test modules read LTI_PL_TEST_REDIS_URL when they are imported.
    """
    url = os.environ.get("LTI_PL_TEST_REDIS_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return
    base, _, number = url.rpartition("/")
    start = int(number) if number.isdigit() else 0
    os.environ["LTI_PL_TEST_REDIS_URL"] = f"{base}/{(start - int(worker[2:])) % 16}"


_worker_redis_url()


BROWSER_TEST_TIMEOUT = 180
"""Seconds a browser test may take (the slowest takes about 30 s). A wedged browser or driver
otherwise waits for ever inside Playwright: seen once in CI, an expect() whose timeout never
fired."""


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests share one live site (one xdist group) and have a deadline; exclusive tests
    run alone."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))
        if workers > 1 and item.get_closest_marker("exclusive") is not None:
            item.add_marker(
                pytest.mark.skip(
                    reason="restarts a shared service: .ci/run runs it alone (-n0 -m exclusive)"
                )
            )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "platform_profiles(*names): run the tests against these emulator profiles (default: all)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `platform` over the emulator's profiles where a test asks for them."""
    marker = metafunc.definition.get_closest_marker("platform_profiles")
    if marker is None or "platform" not in metafunc.fixturenames:
        return
    names = [n for n in (marker.args or PLATFORM_PROFILES) if n in SELECTED_PROFILES]
    if not names:  # a test pinned to a profile this run leaves out still runs on it
        names = list(marker.args[:1])
    metafunc.parametrize("platform", names, indirect=True, ids=[f"on-{n}" for n in names])


def database_url(tmp_root: Path) -> str:
    """LTI_PL_TEST_DATABASE_URL (CI sets PostgreSQL) or a fresh SQLite file."""
    return os.environ.get("LTI_PL_TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


def _scratch_postgres_database(url: str) -> tuple[str, Any]:
    """A fresh database on the PostgreSQL server of `url`, and a function that drops it.

    Each test session gets its own database, so concurrent runs (or a stuck connection of an
    earlier run) never block each other's DROP / CREATE of the schema.
    """
    import uuid

    import psycopg

    name = f"lti_pl_test_{uuid.uuid4().hex[:10]}"
    admin_url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base, _, _ = url.rpartition("/")
    return f"{base}/{name}", drop


@pytest.fixture(scope="session")
def test_config(instance_dir: Path) -> Iterator[dict[str, Any]]:
    url = database_url(instance_dir)
    redis_url = os.environ.get("LTI_PL_TEST_REDIS_URL")
    if redis_url:
        import redis

        # Redis outlives test runs, while each run's database starts ids at 1 again: keys cached
        # by an earlier run (tokens, throttles) would leak into this one.
        redis.Redis.from_url(redis_url).flushdb()
    drop = None
    if url.startswith("postgresql"):
        url, drop = _scratch_postgres_database(url)
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    yield {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "LTI_PL_BASE_URL": TOOL_URL,
        "LTI_PL_INSTANCE_PATH": str(instance_dir),
        "LTI_PL_UPLOAD_FOLDER": str(instance_dir / "uploads"),
        "LTI_PL_REDIS_URL": os.environ.get("LTI_PL_TEST_REDIS_URL") or None,
        # A busy CI machine (browser tests' servers in the same process) can hold an emulator
        # answer past 2 s; the tests that need a timeout set their own, shorter one.
        "LTI_PL_HTTP_TIMEOUT": 5.0,
        "SESSION_COOKIE_SECURE": True,
        "WTF_CSRF_ENABLED": False,
        "LTI_PL_COLUMN_BACKFILL": False,  # background polling threads only where tested
        # Every page reads the platforms' version: statement counts do not depend on timing
        # (tests/integration/security/test_page_policy.py checks the shipped once a second).
        "LTI_PL_ORIGINS_RECHECK_SECONDS": 0.0,
    }
    if drop is not None:
        drop()


@pytest.fixture(scope="session")
def _schema(test_config: dict[str, Any]) -> Iterator[None]:
    app = create_app(test_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield
        # The session of this app context may hold a connection from before the fault test's
        # PostgreSQL restart: discard it without the ROLLBACK a dead connection cannot take.
        db.session().invalidate()
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(test_config: dict[str, Any], _schema: None) -> Flask:
    return create_app(test_config)


class _AppRoutedSession:
    """`db.session` for one test: the test's transaction, except for an app on another database.

    The browser tests' live tool (another app in this process on its own SQLite file, with its
    grade worker thread) keeps running while a test of the same package swaps `db.session`: its
    requests and worker must not borrow the test's connection from another thread. Apps a test
    builds on the test database (a second app_on(test_config)) share the test's transaction.
    """

    def __init__(self, app: Flask, test_session: Any, original: Any) -> None:
        self._uri = app.config["SQLALCHEMY_DATABASE_URI"]
        self._test_session, self._original = test_session, original

    def _target(self) -> Any:
        from flask import current_app, has_app_context

        if has_app_context() and current_app.config["SQLALCHEMY_DATABASE_URI"] != self._uri:
            return self._original
        return self._test_session

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


@pytest.fixture
def db_session(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[scoped_session[Any]]:
    """One transaction per test, rolled back; commits inside become savepoint releases."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        monkeypatch.setattr(db, "session", _AppRoutedSession(app, session, db.session))
        # A request's session is removed at its end in production (a fresh one per request).
        # The test's session outlives requests: what a request read is expired, so the next one
        # reads it again as a fresh session would (a request that wrote expired it committing).
        app.teardown_request(lambda _error: session.expire_all())
        yield session
        session.remove()
        outer.rollback()
        connection.close()


class HttpsClient(FlaskClient):
    """A test client that talks to the tool as https://tool.test (Secure cookies flow)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", TOOL_URL)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    app.test_client_class = HttpsClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db_session: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def tool_jwks(app: Flask, db_session: Any) -> dict[str, Any]:
    from lti_pl.lti import keys
    from lti_pl.models.base import utcnow
    from lti_pl.models.platforms import ToolKey

    if keys.current_key() is None:
        # One generated key per test session, stored anew in each test's transaction.
        kid, pem, jwk = _tool_key_material()
        db_session.add(ToolKey(kid=kid, private_pem=pem, public_jwk=jwk, created_at=utcnow()))
        db_session.commit()
    return keys.public_jwks(utcnow(), timedelta(days=7))


_KEY_MATERIAL: list[tuple[str, str, dict[str, Any]]] = []


def _tool_key_material() -> tuple[str, str, dict[str, Any]]:
    from lti_pl.lti import keys
    from lti_pl.models.base import utcnow

    if not _KEY_MATERIAL:
        key = keys.generate_key(utcnow())
        _KEY_MATERIAL.append((key.kid, key.private_pem, dict(key.public_jwk)))
    return _KEY_MATERIAL[0]


@pytest.fixture
def platform(
    request: pytest.FixtureRequest, app: Flask, db_session: Any, tool_jwks: dict[str, Any]
) -> Iterator[PlatformEmulator]:
    """A running platform emulator, registered with the tool ("generic" unless parametrized)."""
    from lti_pl.services.platforms import import_registrations

    profile = getattr(request, "param", "generic")
    emulator = PlatformEmulator(
        tool_jwks=lambda: tool_jwks, shared_key=True, profile=profile
    ).start()
    with app.app_context():
        import_registrations(emulator.registration())
        db_session.commit()
    app.extensions["lti_pl"].registrations_changed()
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def _only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection to a host outside this machine (after indico's disallow fixture)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple):
            host = address[0]
            try:
                allowed = ipaddress.ip_address(host).is_loopback
            except ValueError:
                allowed = host in {"localhost"}
            if not allowed:
                raise AssertionError(f"test tried to reach {host}: only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
