"""Fuzzing the LTI entry points: whatever arrives, the answer is never a 500.

Hypothesis generates id_tokens (valid claims with random parts replaced by random JSON values,
random extra claims, random headers; signed with the platform's key, with another key, with HS256
or unsigned) and form posts for /lti/login, /lti/launch, the deep-link picker's submit and
/lti/register. The app runs with LTI_PL_SWALLOW_ERRORS so an unexpected exception answers 500
(instead of re-raising under TESTING), and every answer must be below 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lti_pl import create_app
from tests.conftest import HttpsClient
from tests.support.platform_emulator import LTI, PlatformEmulator, make_rsa_key

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TOOL = "https://tool.test"
OTHER_KEY, _, OTHER_KID = make_rsa_key()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
CLAIM_NAMES = [
    "iss",
    "aud",
    "azp",
    "sub",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "name",
    "email",
    LTI + "message_type",
    LTI + "version",
    LTI + "deployment_id",
    LTI + "target_link_uri",
    LTI + "roles",
    LTI + "context",
    LTI + "resource_link",
    LTI + "custom",
    LTI + "role_scope_mentor",
    "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
    "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
    "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings",
]
claim_changes = st.dictionaries(
    st.sampled_from(CLAIM_NAMES) | st.text(max_size=20), json_values | st.none(), max_size=6
)
header_changes = st.dictionaries(
    st.sampled_from(["kid", "alg", "typ", "jku", "x5u", "crit"]) | st.text(max_size=8),
    json_values,
    max_size=3,
)
signing = st.sampled_from(["platform", "other_key", "hs256", "none", "garbage"])
form_text = st.text(max_size=60)
login_keys = st.sampled_from(
    [
        "iss",
        "login_hint",
        "target_link_uri",
        "client_id",
        "lti_deployment_id",
        "lti_message_hint",
        "lti_storage_target",
    ]
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(
    platform: PlatformEmulator, claims: dict[str, Any], headers: dict[str, Any], how: str
) -> str:
    if how == "garbage":
        return ".".join(_b64(json.dumps(part).encode()) for part in (headers, claims)) + ".x"
    if how == "none":
        head = {"alg": "none", "typ": "JWT"} | headers
        return f"{_b64(json.dumps(head).encode())}.{_b64(json.dumps(claims).encode())}."
    safe_headers = {k: v for k, v in headers.items() if k not in {"alg", "crit"}}
    if how == "hs256":
        return jwt.encode(claims, "a-shared-secret-of-32-bytes-long!", "HS256", safe_headers)
    key, kid = (
        (OTHER_KEY, OTHER_KID) if how == "other_key" else (platform.private_key, platform.kid)
    )
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid} | safe_headers)


@pytest.fixture
def fuzz_app(test_config: dict[str, Any], db_session: Any, platform: PlatformEmulator) -> Flask:
    app = create_app(test_config | {"LTI_PL_SWALLOW_ERRORS": True})
    app.test_client_class = HttpsClient
    return app


def login(client: Any, platform: PlatformEmulator) -> dict[str, str]:
    response = client.post("/lti/login", data=platform.login_params(TOOL))
    assert response.status_code == 302
    return platform.authorize(response.headers["Location"])


def test_fuzzed_logins_never_fail_with_500(fuzz_app, platform):
    client = fuzz_app.test_client()

    @FUZZ
    @given(
        params=st.dictionaries(login_keys | st.text(max_size=10), form_text, max_size=7),
        keep_valid=st.sets(login_keys),
        method=st.sampled_from(["GET", "POST"]),
    )
    def check(params: dict[str, str], keep_valid: set[str], method: str) -> None:
        valid = platform.login_params(TOOL)
        data = {k: v for k, v in valid.items() if k in keep_valid} | params
        if method == "GET":
            response = client.get("/lti/login", query_string=data)
        else:
            response = client.post("/lti/login", data=data)
        assert response.status_code < 500, (method, data)

    check()


def test_fuzzed_id_tokens_never_fail_with_500(fuzz_app, platform):
    client = fuzz_app.test_client()

    @FUZZ
    @given(
        changes=claim_changes,
        headers=header_changes,
        how=signing,
        real_state=st.booleans(),
        real_nonce=st.booleans(),
    )
    def check(
        changes: dict[str, Any],
        headers: dict[str, Any],
        how: str,
        real_state: bool,
        real_nonce: bool,
    ) -> None:
        query = login(client, platform) if real_state else {"state": "s", "nonce": "n"}
        claims = platform.claims(
            nonce=query["nonce"] if real_nonce else "other", target_link_uri=TOOL + "/lti/launch"
        )
        for name, value in changes.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        try:
            token = make_token(platform, claims, headers, how)
        except (TypeError, ValueError, jwt.PyJWTError):
            return  # not encodable as a JWT at all (e.g. a header PyJWT refuses)
        response = client.post("/lti/launch", data={"id_token": token, "state": query["state"]})
        assert response.status_code < 500, (how, headers, changes)

    check()


def test_fuzzed_launch_forms_never_fail_with_500(fuzz_app, platform):
    client = fuzz_app.test_client()

    @FUZZ
    @given(
        form=st.dictionaries(
            st.sampled_from(["id_token", "state", "lti_storage_state", "lti_storage_nonce", "utf8"])
            | st.text(max_size=8),
            form_text,
            max_size=5,
        )
    )
    def check(form: dict[str, str]) -> None:
        response = client.post("/lti/launch", data=form)
        assert response.status_code < 500, form

    check()


def post_rules(app: Flask, word: str) -> list[str]:
    return sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if word in r.endpoint and "POST" in (r.methods or set())
    )


def test_fuzzed_deep_link_submissions_never_fail_with_500(fuzz_app, platform):
    rules = post_rules(fuzz_app, "deep_link")
    if not rules:
        pytest.skip("no deep-link submit view registered yet")
    client = fuzz_app.test_client()
    response = platform.launch(client, role="Instructor", message_type="LtiDeepLinkingRequest")
    assert response.status_code == 303
    course_id = response.headers["Location"].split("/")[2]
    urls = [r.replace("<int:course_id>", course_id) for r in rules if r.count("<") <= 1]

    @FUZZ
    @given(
        url=st.sampled_from(urls),
        form=st.dictionaries(
            st.sampled_from(["target_id", "target_ids", "title", "kind", "mode", "line_item"])
            | st.text(max_size=8),
            form_text | st.integers().map(str),
            max_size=6,
        ),
    )
    def check(url: str, form: dict[str, str]) -> None:
        answer = client.post(url, data=form)
        assert answer.status_code < 500, (url, form)

    check()


def test_fuzzed_registration_requests_never_fail_with_500(fuzz_app, platform):
    rules = [r.rule for r in fuzz_app.url_map.iter_rules() if r.rule.startswith("/lti/register")]
    if not rules:
        pytest.skip("no dynamic registration view registered yet")
    client = fuzz_app.test_client()
    keys = st.sampled_from(["openid_configuration", "registration_token", "name"]) | st.text(
        max_size=8
    )

    @FUZZ
    @given(
        url=st.sampled_from(rules),
        method=st.sampled_from(["GET", "POST"]),
        params=st.dictionaries(keys, form_text, max_size=4),
        point_at_platform=st.booleans(),
    )
    def check(url: str, method: str, params: dict[str, str], point_at_platform: bool) -> None:
        if point_at_platform:
            params = params | {
                "openid_configuration": platform.url + "/.well-known/openid-configuration"
            }
        if "<" in url:
            return
        if method == "GET":
            answer = client.get(url, query_string=params)
        else:
            answer = client.post(url, data=params)
        assert answer.status_code < 500, (method, url, params)

    check()
