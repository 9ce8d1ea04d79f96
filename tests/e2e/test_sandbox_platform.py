"""The sandbox LMS's services, over its WSGI app (no browser): what the tool's calls meet."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest

from lti_pl.sandbox.app import build_sandbox_app
from lti_pl.sandbox.platform import CLIENT_ID, DEPLOYMENT_ID, SCOPES, SandboxPlatform

SANDBOX = "http://sandbox.test"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"


@pytest.fixture
def tool_key(app: Any, db_session: Any, tool_jwks: dict[str, Any]) -> tuple[str, str]:
    from lti_pl.lti import keys

    key = keys.current_key()
    assert key is not None
    return key.kid, key.private_pem


@pytest.fixture
def sandbox(tmp_path: Path, tool_jwks: dict[str, Any]) -> SandboxPlatform:
    platform = SandboxPlatform(tmp_path, "http://tool.test", fetch=lambda url: tool_jwks)
    platform.url = SANDBOX
    return platform


@pytest.fixture
def lms(sandbox: SandboxPlatform) -> Any:
    return build_sandbox_app(sandbox).test_client()


def tool_jwt(tool_key: tuple[str, str], claims: dict[str, Any]) -> str:
    kid, pem = tool_key
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


def assertion(tool_key: tuple[str, str], **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": SANDBOX + "/token",
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    } | overrides
    return tool_jwt(tool_key, claims)


def token(lms: Any, tool_key: tuple[str, str], *scopes: str, **overrides: Any) -> Any:
    return lms.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion(tool_key, **overrides),
            "scope": " ".join(SCOPES[s] for s in scopes),
        },
    )


def bearer(lms: Any, tool_key: tuple[str, str], *scopes: str) -> dict[str, str]:
    answer = token(lms, tool_key, *scopes)
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": "Bearer " + answer.get_json()["access_token"]}


def test_token_endpoint_grants_scopes_to_an_assertion_signed_with_the_tool_key(
    lms: Any, tool_key: tuple[str, str], sandbox: SandboxPlatform
) -> None:
    answer = token(lms, tool_key, "score", "nrps")
    assert answer.status_code == 200
    assert set(answer.get_json()["scope"].split()) == {SCOPES["score"], SCOPES["nrps"]}
    assert sandbox.state["token_requests"][-1]["ok"] is True


@pytest.mark.parametrize(
    "overrides",
    [{"aud": "http://elsewhere.test/token"}, {"iss": "someone-else"}, {"exp": 1}],
    ids=["wrong-audience", "wrong-issuer", "expired"],
)
def test_token_endpoint_refuses_a_bad_assertion(
    lms: Any, tool_key: tuple[str, str], overrides: dict[str, Any]
) -> None:
    answer = token(lms, tool_key, "score", **overrides)
    assert answer.status_code == 401
    assert "access_token" not in answer.get_json()


def test_token_endpoint_refuses_a_key_the_tool_does_not_publish(lms: Any) -> None:
    from tests.support.keys import private_key_pem

    _other, pem = private_key_pem()
    answer = token(lms, ("not-the-tool", pem), "score")
    assert answer.status_code == 401


def test_nrps_serves_the_course_and_notes_it_in_the_gradebook(
    lms: Any, tool_key: tuple[str, str], sandbox: SandboxPlatform
) -> None:
    assert lms.get("/nrps/sandbox-course-1").status_code == 401
    answer = lms.get("/nrps/sandbox-course-1", headers=bearer(lms, tool_key, "nrps"))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/vnd.ims.lti-nrps")
    members = answer.get_json()["members"]
    assert len(members) == 27
    assert sum(1 for m in members if m["roles"][0].endswith("#Learner")) == 25
    assert sandbox.state["roster_requests"][-1]["members"] == 27
    assert "27 members" in lms.get("/gradebook").get_data(as_text=True)


def test_scores_reach_the_gradebook_and_an_older_one_is_refused(
    lms: Any, tool_key: tuple[str, str]
) -> None:
    auth = bearer(lms, tool_key, "lineitem", "score", "result")
    created = lms.post(
        "/ags/sandbox-course-1/lineitems",
        json={"label": "Cells mastery", "scoreMaximum": 4},
        headers=auth | {"Content-Type": LINEITEM_TYPE},
    )
    assert created.status_code == 201
    url = created.get_json()["id"]
    path = url.removeprefix(SANDBOX)
    score = {
        "userId": "sandbox-student-01",
        "scoreGiven": 3,
        "scoreMaximum": 4,
        "comment": "Mastery shown",
        "timestamp": "2026-01-02T10:00:00.000+00:00",
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }
    sent = lms.post(path + "/scores", json=score, headers=auth | {"Content-Type": SCORE_TYPE})
    assert sent.status_code == 204
    older = score | {"scoreGiven": 1, "timestamp": "2026-01-01T10:00:00.000+00:00"}
    refused = lms.post(path + "/scores", json=older, headers=auth | {"Content-Type": SCORE_TYPE})
    assert refused.status_code == 409
    results = lms.get(path + "/results", headers=auth).get_json()
    assert [(r["userId"], r["resultScore"]) for r in results] == [("sandbox-student-01", 3)]
    page = lms.get("/gradebook").get_data(as_text=True)
    assert "Cells mastery" in page
    assert "Mastery shown" in page
    assert "2026-01-02T10:00:00.000+00:00" in page


def test_scores_need_the_score_scope(lms: Any, tool_key: tuple[str, str]) -> None:
    auth = bearer(lms, tool_key, "lineitem")
    created = lms.post(
        "/ags/sandbox-course-1/lineitems",
        json={"label": "Cells", "scoreMaximum": 4},
        headers=auth,
    ).get_json()
    path = created["id"].removeprefix(SANDBOX)
    answer = lms.post(path + "/scores", json={}, headers=auth | {"Content-Type": SCORE_TYPE})
    assert answer.status_code == 403


def deep_linking_response(tool_key: tuple[str, str], **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": CLIENT_ID,
        "aud": SANDBOX,
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": DEPLOYMENT_ID,
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [
            {
                "type": "ltiResourceLink",
                "title": "Cells mastery",
                "url": "http://tool.test/lti/launch",
                "custom": {"lti_pl_targets": "1"},
                "lineItem": {"label": "Cells mastery", "scoreMaximum": 4},
            }
        ],
    } | overrides
    return tool_jwt(tool_key, claims)


def test_deep_linking_response_adds_a_graded_activity(
    lms: Any, tool_key: tuple[str, str], sandbox: SandboxPlatform
) -> None:
    answer = lms.post("/deep-link-return", data={"JWT": deep_linking_response(tool_key)})
    assert answer.status_code == 200
    assert "Added to the course" in answer.get_data(as_text=True)
    link = sandbox.links()[-1]
    assert link["title"] == "Cells mastery"
    assert link["custom"] == {"lti_pl_targets": "1"}
    assert sandbox.line_item(link["line_item"])["resourceLinkId"] == link["id"]


@pytest.mark.parametrize(
    "overrides",
    [
        {LTI + "deployment_id": "another"},
        {LTI + "message_type": "LtiResourceLinkRequest"},
        {"aud": "http://elsewhere.test"},
    ],
    ids=["wrong-deployment", "wrong-message", "wrong-audience"],
)
def test_deep_linking_response_with_wrong_claims_adds_nothing(
    lms: Any, tool_key: tuple[str, str], sandbox: SandboxPlatform, overrides: dict[str, Any]
) -> None:
    before = len(sandbox.links())
    answer = lms.post(
        "/deep-link-return", data={"JWT": deep_linking_response(tool_key, **overrides)}
    )
    assert answer.status_code in (400, 401)
    assert len(sandbox.links()) == before


def test_auth_answers_only_the_registered_redirect_uri(lms: Any, sandbox: SandboxPlatform) -> None:
    sandbox.ensure_default_link()
    start = lms.get("/launch/start?user=sandbox-student-02").get_data(as_text=True)
    hint = start.split('name="lti_message_hint" value="')[1].split('"')[0]
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": CLIENT_ID,
        "state": "s1",
        "nonce": "n1",
        "login_hint": "sandbox-student-02",
        "lti_message_hint": hint,
    }
    stolen = lms.get("/auth", query_string=params | {"redirect_uri": "http://evil.test/launch"})
    assert stolen.status_code == 400
    ok = lms.get("/auth", query_string=params | {"redirect_uri": "http://tool.test/lti/launch"})
    assert ok.status_code == 200
    id_token = ok.get_data(as_text=True).split('name="id_token" value="')[1].split('"')[0]
    claims = jwt.decode(
        id_token,
        jwt.algorithms.RSAAlgorithm.from_jwk(sandbox.jwk),
        algorithms=["RS256"],
        audience=CLIENT_ID,
    )
    assert claims["sub"] == "sandbox-student-02"
    assert claims["nonce"] == "n1"
    assert claims[LTI + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]


def test_every_sandbox_page_says_it_is_a_sandbox(lms: Any, sandbox: SandboxPlatform) -> None:
    sandbox.ensure_default_link()
    for path in ("/", "/gradebook", "/launch?user=sandbox-teacher"):
        assert "SANDBOX LMS" in lms.get(path).get_data(as_text=True), path


def test_a_second_course_of_the_same_people_launches_with_its_own_context(
    lms: Any, tool_key: tuple[str, str], sandbox: SandboxPlatform
) -> None:
    from lti_pl.sandbox.course import COURSES
    from lti_pl.sandbox.platform import LaunchRequest

    first, second = COURSES
    page = lms.get(f"/?course={second.context_id}").get_data(as_text=True)
    assert f"<h1>{second.title}</h1>" in page
    assert f'href="/?course={first.context_id}"' in page
    assert lms.get("/?course=nope").status_code == 404
    (home,) = sandbox.course_links(second.context_id)
    assert f'<option value="{home["id"]}">' in page
    claims = sandbox.claims(LaunchRequest("sandbox-student-08", home["id"], False), "n", "")
    assert claims[LTI + "context"]["id"] == second.context_id
    assert claims[LTI + "resource_link"]["id"] != sandbox.ensure_default_link()["id"]
    assert "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint" not in claims
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    answer = lms.get(
        nrps["context_memberships_url"].removeprefix(SANDBOX),
        headers=bearer(lms, tool_key, "nrps"),
    )
    assert answer.get_json()["context"]["id"] == second.context_id
    assert [m["user_id"] for m in answer.get_json()["members"]] == [
        p.user_id for p in sandbox.people
    ]
