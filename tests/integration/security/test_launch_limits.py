"""Launch limits count abuse, not classrooms: a school behind one NAT address is never one budget.

All requests of a test client come from one address (127.0.0.1), as a school's do behind NAT.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from limits import parse

from lti_pl import create_app
from lti_pl.config import config_from_env
from lti_pl.ratelimit import DEFAULT_FAILED, DEFAULT_LOGIN, DEFAULT_USER
from tests.conftest import HttpsClient
from tests.support.platform_emulator import PlatformEmulator

TOOL = "https://tool.test"


def limited_app(test_config: dict[str, Any], **overrides: Any) -> Flask:
    app = create_app(test_config | {"LTI_PL_RATE_LIMIT_ENABLED": True} | overrides)
    app.test_client_class = HttpsClient
    app.extensions["lti_pl_limiter"].reset()
    return app


def per_two_minutes(rate: str) -> float:
    item = parse(rate)
    return item.amount * 120 / item.get_expiry()


def invalid_login(
    client: Any, platform: PlatformEmulator, headers: dict[str, str] | None = None, **environ: Any
) -> int:
    params = platform.login_params(TOOL) | {"iss": "https://unknown.example"}
    return client.post("/lti/login", data=params, headers=headers, environ_base=environ).status_code


def test_default_budgets_let_a_school_through_and_count_only_refusals_per_address():
    config = config_from_env({"LTI_PL_INSTANCE_PATH": "/tmp/lti_pl_limits_defaults"})  # noqa: S108
    assert config["LTI_PL_RATE_LIMIT_LOGIN"] == DEFAULT_LOGIN
    assert per_two_minutes(DEFAULT_LOGIN) >= 1000  # the per-address ceiling on logins
    assert config["LTI_PL_RATE_LIMIT_FAILED"] == DEFAULT_FAILED
    assert config["LTI_PL_RATE_LIMIT_USER"] == DEFAULT_USER


def test_a_thousand_distinct_users_log_in_from_one_address_without_429(
    test_config, db_session, platform
):
    app = limited_app(test_config, LTI_PL_RATE_LIMIT_FAILED="5/minute")
    client = app.test_client()
    statuses = {
        client.post("/lti/login", data=platform.login_params(TOOL, user_id=f"s-{n}")).status_code
        for n in range(1000)
    }
    assert statuses == {302}


def test_a_class_of_distinct_students_launches_from_one_address_without_429(
    test_config, db_session, platform
):
    """More full launches from one address than the old per-IP limit (60/minute) allowed."""
    app = limited_app(test_config, LTI_PL_RATE_LIMIT_FAILED="5/minute")
    client = app.test_client()
    statuses = [
        platform.launch(client, role="Learner", user_id=f"student-{n}").status_code
        for n in range(90)
    ]
    assert statuses == [303] * 90


def test_a_flood_of_invalid_logins_is_cut_with_429(test_config, db_session, platform):
    app = limited_app(test_config, LTI_PL_RATE_LIMIT_FAILED="10/minute")
    client = app.test_client()
    statuses = [invalid_login(client, platform) for _ in range(25)]
    assert statuses == [400] * 10 + [429] * 15
    limited = client.post("/lti/login", data=platform.login_params(TOOL) | {"iss": "x"})
    assert limited.headers["Retry-After"]
    assert "Wait a minute" in limited.get_data(as_text=True)
    # Another address has its own budget; a valid login from the flooded address still passes,
    # so one pupil sending rubbish does not lock the school out.
    assert invalid_login(client, platform, REMOTE_ADDR="127.0.0.9") == 400
    assert client.post("/lti/login", data=platform.login_params(TOOL)).status_code == 302


def test_a_flood_of_invalid_launches_is_cut_with_429(test_config, db_session, platform):
    app = limited_app(test_config, LTI_PL_RATE_LIMIT_FAILED="5/minute")
    client = app.test_client()
    statuses = [
        client.post("/lti/launch", data={"id_token": "x.y.z", "state": "nope"}).status_code
        for _ in range(8)
    ]
    assert statuses == [400] * 5 + [429] * 3
    assert platform.launch(client, role="Learner", user_id="student-ok").status_code == 303


def test_one_user_relaunching_in_a_loop_is_cut_and_the_class_is_not(
    test_config, db_session, platform
):
    app = limited_app(test_config, LTI_PL_RATE_LIMIT_USER="3/minute")
    client = app.test_client()
    same = [platform.launch(client, role="Learner", user_id="looper").status_code for _ in range(5)]
    assert same == [303, 303, 303, 429, 429]
    assert platform.launch(client, role="Learner", user_id="classmate").status_code == 303


@pytest.mark.parametrize("forged", ["10.9.8.7", "10.9.8.7, 10.1.1.1"])
def test_a_forged_forwarded_for_does_not_choose_the_limiter_key_by_default(
    test_config, db_session, platform, forged
):
    """LTI_PL_PROXY_HOPS defaults to 0: a client cannot rotate its address with a header."""
    config = config_from_env({"LTI_PL_INSTANCE_PATH": "/tmp/lti_pl_limits_defaults"})  # noqa: S108
    app = limited_app(
        test_config,
        LTI_PL_RATE_LIMIT_FAILED="3/minute",
        LTI_PL_PROXY_HOPS=config["LTI_PL_PROXY_HOPS"],
    )
    client = app.test_client()
    statuses = [
        invalid_login(client, platform, headers={"X-Forwarded-For": f"{forged}{n}"})
        for n in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]


def test_forwarded_for_is_trusted_when_a_proxy_is_configured(test_config, db_session, platform):
    app = limited_app(test_config, LTI_PL_RATE_LIMIT_FAILED="2/minute", LTI_PL_PROXY_HOPS=1)
    client = app.test_client()
    statuses = [
        invalid_login(client, platform, headers={"X-Forwarded-For": f"10.0.0.{n}"})
        for n in range(4)
    ]
    assert statuses == [400] * 4  # each client behind the proxy has its own budget


def test_counts_in_memory_expire_once_a_second_not_every_10_ms(test_config, db_session, platform):
    """limits' memory storage walks every key (one per launched student) on each expiry pass; at
    its own 10 ms clock that was 15 % of a worker's GIL time. The tool's storage passes once a
    second, and still counts: the moving window compares each entry's own time."""
    # Without Redis (the embedded default), whatever this pass of the suite runs on.
    app = limited_app(test_config, LTI_PL_REDIS_URL=None, LTI_PL_RATE_LIMIT_USER="3/minute")
    client = app.test_client()
    statuses = [
        platform.launch(client, role="Learner", user_id="looping").status_code for _ in range(4)
    ]
    storage = app.extensions["lti_pl_limiter"].limiter.storage
    assert storage.timer.interval >= 1
    assert statuses == [303, 303, 303, 429]
    # Counts past their window are still dropped by the pass.
    pass_ = storage._MemoryStorage__expire_events
    assert any(storage.events.values())
    for events in storage.events.values():
        for entry in events:
            entry.expiry = 0  # as if the window had passed
    pass_()
    assert not any(storage.events.values())
