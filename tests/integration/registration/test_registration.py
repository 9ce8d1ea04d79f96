"""Installing: Dynamic Registration against the emulator, the Canvas JSON, the config page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.platforms import Platform
from tests.support.platform_emulator import PlatformEmulator

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"


@pytest.fixture
def dev_registration(app):
    """The emulator serves plain http on 127.0.0.1: allow that, as development would."""
    app.config.update(LTI_PL_REGISTRATION_ALLOW_HTTP=True, LTI_PL_REGISTRATION_ALLOW_PRIVATE=True)


@pytest.fixture
def new_platform(app, db_session, tool_jwks, dev_registration):
    emulator = PlatformEmulator(
        client_id="dr-client-7", deployment_id="dr-deploy-1", tool_jwks=lambda: tool_jwks
    ).start()
    yield emulator
    emulator.stop()


def invite_link(runner):
    result = runner.invoke(args=["platforms", "invite"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("https://tool.test/lti/register/"), link
    return link.removeprefix("https://tool.test")


def register(client, emulator, token="reg-token-1", path=None):  # noqa: S107 - emulator's token
    return client.get(
        path or invite_link(client.application.test_cli_runner()),
        query_string={
            "openid_configuration": emulator.url + "/.well-known/openid-configuration",
            "registration_token": token,
        },
    )


def stored(emulator):
    return db.session.scalars(select(Platform).where(Platform.issuer == emulator.issuer)).all()


def test_dynamic_registration_stores_platform_and_then_launches(client, new_platform):
    response = register(client, new_platform)

    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert "/static/registration.js" in page
    assert "<script>" not in page  # CSP: no inline script
    sent = new_platform.registrations[-1]
    assert sent["application_type"] == "web"
    assert sent["response_types"] == ["id_token"]
    assert set(sent["grant_types"]) == {"implicit", "client_credentials"}
    assert sent["initiate_login_uri"] == "https://tool.test/lti/login"
    assert sent["redirect_uris"] == ["https://tool.test/lti/launch"]
    assert sent["jwks_uri"] == "https://tool.test/lti/jwks.json"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"].split()
    tool = sent[TOOL_CONFIG]
    assert tool["domain"] == "tool.test"
    assert tool["target_link_uri"] == "https://tool.test/lti/launch"
    assert {m["type"] for m in tool["messages"]} == {
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    }
    (platform,) = stored(new_platform)
    assert platform.client_id == "dr-client-7"
    assert platform.auth_token_url == new_platform.url + "/token"
    assert [d.deployment_id for d in platform.deployments] == ["dr-deploy-1"]

    launch = new_platform.launch(client, role="Instructor", user_id="t-9")
    assert launch.status_code == 303, launch.get_data(as_text=True)


def test_wrong_registration_token_stores_nothing(client, new_platform):
    response = register(client, new_platform, token="wrong")
    assert response.status_code == 400
    assert "registration was refused" in response.get_data(as_text=True)
    assert stored(new_platform) == []
    assert new_platform.registrations == []


def test_issuer_on_another_site_is_refused(app, db_session, tool_jwks, client, dev_registration):
    emulator = PlatformEmulator(
        issuer="https://lms.example.org", tool_jwks=lambda: tool_jwks
    ).start()
    try:
        response = register(client, emulator)
        assert response.status_code == 400
        assert "registration was refused" in response.get_data(as_text=True)
        assert emulator.registrations == []
        assert stored(emulator) == []
    finally:
        emulator.stop()


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({}, id="no-parameters"),
        pytest.param(
            {"openid_configuration": "ftp://x/y", "registration_token": "t"}, id="not-https"
        ),
    ],
)
def test_bad_parameters_are_a_readable_400(client, db_session, query):
    response = client.get("/lti/register", query_string=query)
    assert response.status_code == 400
    assert "registration did not complete" in response.get_data(as_text=True)


def test_canvas_json_has_urls_scopes_and_placements(client, db_session):
    body = client.get("/lti/config/canvas.json").get_json()
    assert body["oidc_initiation_url"] == "https://tool.test/lti/login"
    assert body["target_link_uri"] == "https://tool.test/lti/launch"
    assert body["public_jwk_url"] == "https://tool.test/lti/jwks.json"
    assert (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
        in body["scopes"]
    )
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem" in body["scopes"]
    (extension,) = body["extensions"]
    assert extension["privacy_level"] == "public"
    placements = {p["placement"]: p["message_type"] for p in extension["settings"]["placements"]}
    assert placements == {
        "course_navigation": "LtiResourceLinkRequest",
        "link_selection": "LtiDeepLinkingRequest",
        "assignment_selection": "LtiDeepLinkingRequest",
    }


def test_config_page_lists_every_url_with_copy_buttons(client, db_session):
    page = client.get("/lti/config").get_data(as_text=True)
    for url in (
        "https://tool.test/lti/login",
        "https://tool.test/lti/launch",
        "https://tool.test/lti/jwks.json",
        "https://tool.test/lti/register",
    ):
        assert url in page
    assert len(re.findall(r"<button[^>]*data-copy", page)) == 6
    assert "/static/config.js" in page
    assert "<script>" not in page
