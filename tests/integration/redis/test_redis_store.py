"""Shared state through Redis between app instances, and launches that survive Redis going down.

The sharing tests run against the real local Redis when LTI_PL_TEST_REDIS_URL is set (CI sets it
on the PostgreSQL run). The outage tests need no Redis: a closed port, and a second redis-server
this test starts, stops and starts again on a free port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from flask import Flask

from lti_pl import create_app
from lti_pl.stores import MemoryStore, RedisStore
from tests.conftest import HttpsClient
from tests.support.platform_emulator import PlatformEmulator

TOOL = "https://tool.test"
REDIS_URL = os.environ.get("LTI_PL_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="LTI_PL_TEST_REDIS_URL not set")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_on(test_config: dict[str, Any], redis_url: str | None, **extra: Any) -> Flask:
    app = create_app(test_config | {"LTI_PL_REDIS_URL": redis_url} | extra)
    app.test_client_class = HttpsClient
    return app


def login(client: Any, platform: PlatformEmulator) -> tuple[dict[str, str], str]:
    response = client.post("/lti/login", data=platform.login_params(TOOL))
    assert response.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    return query, f"lti_pl_state_{query['state']}"


def signed_launch(platform: PlatformEmulator, query: dict[str, str]) -> dict[str, str]:
    body = platform.claims(nonce=query["nonce"], target_link_uri=TOOL + "/lti/launch")
    return {"id_token": platform.sign(body), "state": query["state"]}


def full_launch(app: Flask, platform: PlatformEmulator) -> int:
    return int(platform.launch(app.test_client(), role="Instructor").status_code)


# ------------------------------------------------------------------------- sharing via Redis
@needs_redis
def test_login_on_one_instance_and_launch_on_another(test_config, db_session, platform):
    first, second = app_on(test_config, REDIS_URL), app_on(test_config, REDIS_URL)
    query, cookie = login(first.test_client(), platform)
    other_browser_half = second.test_client()
    other_browser_half.set_cookie(cookie, query["state"], domain="tool.test")
    response = other_browser_half.post("/lti/launch", data=signed_launch(platform, query))
    assert response.status_code == 303, response.get_data(as_text=True)


@needs_redis
def test_a_replay_on_another_instance_is_refused_as_replayed(test_config, db_session, platform):
    first, second = app_on(test_config, REDIS_URL), app_on(test_config, REDIS_URL)
    client = first.test_client()
    query, cookie = login(client, platform)
    form = signed_launch(platform, query)
    assert client.post("/lti/launch", data=form).status_code == 303
    attacker = second.test_client()
    attacker.set_cookie(cookie, query["state"], domain="tool.test")
    replay = attacker.post("/lti/launch", data=form, headers={"Accept": "application/json"})
    assert replay.status_code == 400
    assert replay.get_json()["error"] == "replayed"


@needs_redis
def test_state_lives_in_redis_with_an_expiry(test_config, db_session, platform):
    app = app_on(test_config, REDIS_URL)
    query, _ = login(app.test_client(), platform)
    connection = redis.Redis.from_url(REDIS_URL)
    ttl = connection.ttl(f"lti_pl:state:{query['state']}")
    assert 0 < ttl <= 600


@needs_redis
def test_rate_limits_are_shared_between_instances(test_config, db_session, platform):
    extra = {"LTI_PL_RATE_LIMIT_ENABLED": True, "LTI_PL_RATE_LIMIT_FAILED": "4/minute"}
    first, second = app_on(test_config, REDIS_URL, **extra), app_on(test_config, REDIS_URL, **extra)
    first.extensions["lti_pl_limiter"].reset()
    params = platform.login_params(TOOL) | {"iss": "https://unknown.example"}  # refused logins
    addr = {"REMOTE_ADDR": "127.0.0.77"}
    statuses = [
        app.test_client().post("/lti/login", data=params, environ_base=addr).status_code
        for app in (first, second, first, second, first)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    first.extensions["lti_pl_limiter"].reset()


# ------------------------------------------------------------------------------ Redis down
def test_redis_store_at_a_closed_port_falls_back_to_memory():
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    store.set("a", {"x": 1}, 60)
    assert store.get("a") == {"x": 1}
    assert store.add("b", 1, 60) is True
    assert store.add("b", 1, 60) is False
    assert store.pop("a") == {"x": 1}
    assert store.get("a") is None
    store.delete("b")
    assert store.add("b", 1, 60) is True


def test_launches_work_when_redis_is_unreachable(test_config, db_session, platform):
    app = app_on(
        test_config,
        f"redis://127.0.0.1:{free_port()}/0",
        LTI_PL_RATE_LIMIT_ENABLED=True,
    )
    assert isinstance(app.extensions["lti_pl"].store, RedisStore)
    assert full_launch(app, platform) == 303
    assert full_launch(app, platform) == 303


@pytest.fixture
def own_redis() -> Iterator[tuple[str, Any, Any]]:
    """A redis-server of our own on a free port: (url, start, stop)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)

    def is_up() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def wait(up: bool) -> None:
        deadline = time.monotonic() + 10
        while is_up() != up:
            assert time.monotonic() < deadline, (
                f"redis on {port} did not go {'up' if up else 'down'}"
            )
            time.sleep(0.05)

    def start() -> None:
        subprocess.run(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
            ],
            check=True,
            capture_output=True,
            timeout=10,
        )
        wait(up=True)

    def stop() -> None:
        with contextlib.suppress(redis.ConnectionError):  # SHUTDOWN drops the connection
            client.shutdown(nosave=True)
        wait(up=False)

    start()
    try:
        yield url, start, stop
    finally:
        if is_up():
            stop()
        client.close()


def test_launches_survive_a_redis_restart(test_config, db_session, platform, own_redis):
    url, start, stop = own_redis
    app = app_on(test_config, url)
    connection = redis.Redis.from_url(url)
    assert full_launch(app, platform) == 303
    assert connection.keys("lti_pl:nonce:*"), "the nonce went to Redis while it was up"
    stop()
    assert full_launch(app, platform) == 303  # in-process fallback
    start()
    query, _ = login(app.test_client(), platform)
    assert connection.exists(f"lti_pl:state:{query['state']}"), "back on Redis after the restart"
    assert full_launch(app, platform) == 303
    connection.close()


def test_memory_store_is_the_default_without_redis(test_config, db_session):
    assert isinstance(app_on(test_config, None).extensions["lti_pl"].store, MemoryStore)
