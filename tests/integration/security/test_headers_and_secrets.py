"""CSRF, Content-Security-Policy, session cookies, rate limits, keys and personal data in logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from lti_pl import create_app
from lti_pl.log import RedactingFilter, redact
from lti_pl.models.platforms import ToolKey
from tests.conftest import HttpsClient
from tests.support.platform_emulator import PlatformEmulator

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def app_with(test_config: dict[str, Any], **overrides: Any) -> Flask:
    app = create_app(test_config | overrides)
    app.test_client_class = HttpsClient
    return app


def teacher_post_rules(app: Flask) -> list[str]:
    return sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("instructor.") and "POST" in (r.methods or set())
    )


# ------------------------------------------------------------------------------------ CSRF
def test_a_teacher_form_post_without_csrf_token_is_refused(test_config, db_session, platform):
    app = app_with(test_config, WTF_CSRF_ENABLED=True)
    rules = teacher_post_rules(app)
    if not rules:
        pytest.skip("no teacher form registered yet")
    client = app.test_client()
    home = platform.launch(client, role="Instructor").headers["Location"]
    course_id = int(home.split("/")[2])
    for rule in rules:
        url = rule.replace("<int:course_id>", str(course_id))
        url = "/".join("1" if part.startswith("<") else part for part in url.split("/"))
        response = client.post(url, data={}, headers={"Accept": "application/json"})
        assert response.status_code == 400, rule
        assert response.get_json()["error"] == "csrf", rule


def test_login_and_launch_are_exempt_from_csrf(test_config, db_session, platform):
    app = app_with(test_config, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = platform.launch(client, role="Instructor")
    assert response.status_code == 303


def test_a_post_without_csrf_token_is_refused_with_a_readable_page(
    test_config, db_session, platform
):
    # Any protected POST: the deep-link picker's submit (or a GET-only page, which answers 405).
    app = app_with(test_config, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    home = platform.launch(client, role="Instructor").headers["Location"]
    post_rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or set())]
    # The LTI endpoints are posted by the platform or before any session exists (CSRF-exempt).
    protected = [r for r in post_rules if not r.endpoint.startswith("lti.")]
    if not protected:
        pytest.skip("no protected POST view registered yet")
    rule = protected[0]
    course_id = home.split("/")[2]
    url = rule.rule.replace("<int:course_id>", course_id)
    url = "/".join("1" if part.startswith("<") else part for part in url.split("/"))
    response = client.post(url, data={})
    assert response.status_code == 400
    assert "did not come from this tool" in response.get_data(as_text=True)


# ------------------------------------------------------------------------------------- CSP
def test_csp_frames_only_registered_platforms(app, client, platform: PlatformEmulator, db_session):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip()
    )
    ancestors = directives["frame-ancestors"].split()
    assert ancestors[0] == "'self'"
    assert platform.url in ancestors
    assert "*" not in ancestors
    assert directives["object-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_csp_without_platforms_allows_only_self(app, client, db_session):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp
    assert "frame-ancestors 'self' " not in csp


# ---------------------------------------------------------------------------------- cookies
def set_cookie_headers(response: Any, name: str) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


def test_session_and_state_cookies_are_cross_site_secure_partitioned(client, platform):
    login = client.post("/lti/login", data=platform.login_params("https://tool.test"))
    (state_cookie,) = set_cookie_headers(
        login, "lti_pl_state_" + login.headers["Location"].split("state=")[1].split("&")[0]
    )
    response = platform.launch(client, role="Instructor")
    (session_cookie,) = set_cookie_headers(response, "lti_pl_session")
    for header in (state_cookie, session_cookie):
        attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
        assert {"secure", "httponly", "partitioned", "samesite"} <= attributes, header
        assert "SameSite=None" in header, header


# ------------------------------------------------------------------------------ rate limits
def test_launch_rate_limit_answers_429_with_a_readable_page(test_config, db_session, platform):
    app = app_with(test_config, LTI_PL_RATE_LIMIT_ENABLED=True, LTI_PL_RATE_LIMIT_FAILED="3/minute")
    app.extensions["lti_pl_limiter"].reset()
    client = app.test_client()
    params = platform.login_params("https://tool.test") | {"iss": "https://unknown.example"}
    statuses = [client.post("/lti/login", data=params).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    limited = client.post("/lti/login", data=params)
    assert limited.status_code == 429
    assert "Wait a minute" in limited.get_data(as_text=True)
    assert limited.headers.get("Retry-After")
    # Other addresses have their own budget; the JWKS is not limited.
    other = client.post("/lti/login", data=params, environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 400
    assert client.get("/lti/jwks.json").status_code == 200
    app.extensions["lti_pl_limiter"].reset()


def test_rate_limits_are_off_in_tests_by_default(client, platform):
    params = platform.login_params("https://tool.test")
    assert {client.post("/lti/login", data=params).status_code for _ in range(70)} == {302}


# ------------------------------------------------------------------------------ keys, logs
def test_jwks_publishes_public_members_only(app, client, runner, tool_jwks):
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    keys = client.get("/lti/jwks.json").get_json()["keys"]
    assert len(keys) >= 2  # the new key and the retired one in its grace period
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), key
        assert set(key) <= {"kty", "n", "e", "kid", "alg", "use"}


def test_tool_key_repr_never_shows_the_private_key(app, db_session, tool_jwks):
    from sqlalchemy import select

    key = db_session.scalars(select(ToolKey)).first()
    assert "PRIVATE KEY" not in repr(key)
    assert "PRIVATE KEY" not in str(key)
    assert key.kid in repr(key)


def test_logs_after_launch_and_rotation_hold_no_key_token_or_personal_data(
    app, client, runner, platform, caplog
):
    caplog.set_level(logging.DEBUG)
    response = platform.launch(
        client, role="Instructor", name="Zelda Quintessa", email="zelda@example.edu"
    )
    assert response.status_code == 303
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    replay = client.post("/lti/launch", data={"id_token": "eyJhbGciOi.eyJzdWIi.c2ln", "state": "x"})
    assert replay.status_code == 400
    text = caplog.text
    assert "PRIVATE KEY" not in text
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("lti_pl"))
    assert "launch ok" in ours
    for secret in ("Zelda", "zelda@example.edu", "eyJ", "teacher-1", "user-1"):
        assert secret not in ours


def test_redacting_filter_removes_jwts_and_bearer_tokens():
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert redact(f"got {token} here") == "got [jwt] here"
    assert redact("Authorization: Bearer abc.DEF-123") == "Authorization: Bearer [token]"
    record = logging.LogRecord("lti_pl.x", logging.INFO, __file__, 1, "token=%s", (token,), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "token=[jwt]"
    clean = logging.LogRecord("lti_pl.x", logging.INFO, __file__, 1, "course=%s", (3,), None)
    RedactingFilter().filter(clean)
    assert clean.getMessage() == "course=3"


def test_the_lti_pl_handler_redacts():
    import io

    from lti_pl.log import configure_logging

    configure_logging("INFO")
    handler = next(
        h
        for h in logging.getLogger("lti_pl").handlers
        if any(isinstance(f, RedactingFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        logging.getLogger("lti_pl.test").warning(
            "bad %s", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
        )
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
    assert "bad [jwt]" in stream.getvalue()
    assert "eyJ" not in stream.getvalue()
