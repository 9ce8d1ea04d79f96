"""LTI Dynamic Registration 1.0 (as Canvas and Moodle 4.x run it), on pylti1p3's helper.

The platform opens `/lti/register?openid_configuration=…&registration_token=…`; we read its
OpenID configuration (with the token as Bearer), check that it names the issuer it was fetched
from, POST our client registration with the same token, and return what to store. Nothing here
writes to the database: a failure at any step leaves nothing half-stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException

from lti_pl.lti.service_connector import TimeoutSession

PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")


class RegistrationError(Exception):
    """Registration refused or failed; the message is for the admin who started it."""


@dataclass(frozen=True)
class ToolUrls:
    """The tool's public URLs."""

    base_url: str
    login_url: str
    launch_url: str
    jwks_url: str
    logo_url: str
    name: str = "lti_pl"
    description: str = "Personalized learning: mastery, choice boards and a data wall."


@dataclass(frozen=True)
class PlatformRegistration:
    """What the platform told us: enough to create a Platform and its Deployment."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    deployment_id: str | None
    name: str


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _https_or_local(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    local = (parts.hostname or "") in {"127.0.0.1", "localhost"}
    return bool(parts.netloc) and (parts.scheme == "https" or (parts.scheme == "http" and local))


class ToolDynamicRegistration(DynamicRegistration):
    """pylti1p3's registration flow with our URLs, timeouts and issuer checks."""

    def __init__(
        self, tool: ToolUrls, openid_configuration_url: str, token: str, timeout: float
    ) -> None:
        self.tool = tool
        self.client_name = tool.name
        self.description = tool.description
        self._config_url = openid_configuration_url
        self._token = token
        self._timeout = timeout

    def get_request_session(self) -> requests.Session:
        """A session with our timeout."""
        return TimeoutSession(self._timeout)

    def get_initiate_login_uri(self) -> str:  # noqa: D102
        return self.tool.login_url

    def get_jwks_uri(self) -> str:  # noqa: D102
        return self.tool.jwks_url

    def get_redirect_uris(self) -> list[str]:  # noqa: D102
        return [self.tool.launch_url]

    def get_scopes(self) -> list[str]:  # noqa: D102
        return list(SCOPES)

    def get_domain(self) -> str:  # noqa: D102
        return urlsplit(self.tool.base_url).netloc

    def get_target_link_uri(self) -> str:  # noqa: D102
        return self.tool.launch_url

    def get_claims(self) -> list[str]:  # noqa: D102
        return list(CLAIMS)

    def get_logo_uri(self) -> str:  # noqa: D102
        return self.tool.logo_url

    def get_messages(self) -> list[dict[str, Any]]:  # noqa: D102
        return [
            {
                "type": "LtiResourceLinkRequest",
                "target_link_uri": self.tool.launch_url,
                "label": self.tool.name,
                "placements": ["course_navigation"],
            },
            {
                "type": "LtiDeepLinkingRequest",
                "target_link_uri": self.tool.launch_url,
                "label": f"Add {self.tool.name} content",
                "placements": ["link_selection", "assignment_selection"],
            },
        ]

    def get_openid_configuration_endpoint(self) -> str:  # noqa: D102
        return self._config_url

    def get_registration_token(self) -> str:  # noqa: D102
        return self._token

    def get_openid_configuration(self) -> dict[str, Any]:
        """The platform's configuration, fetched with the registration token, then checked."""
        with self.get_request_session() as session:
            response = session.get(
                self._config_url,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            )
        if not response.ok:
            raise RegistrationError(
                f"The LMS refused to share its configuration (HTTP {response.status_code}); "
                "the registration link may have expired: start again from the LMS."
            )
        try:
            config = response.json()
        except ValueError as error:
            raise RegistrationError("The LMS configuration is not JSON.") from error
        if not isinstance(config, dict):
            raise RegistrationError("The LMS configuration is not a JSON object.")
        issuer = config.get("issuer")
        if not isinstance(issuer, str) or _origin(issuer) != _origin(self._config_url):
            raise RegistrationError(
                "The LMS configuration names an issuer on another site than it was fetched "
                "from; registration refused."
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not _https_or_local(config.get(key)):
                raise RegistrationError(f"The LMS configuration lacks a valid {key}.")
        endpoint = config.get("registration_endpoint")
        if not _https_or_local(endpoint) or _origin(str(endpoint))[1] != _origin(issuer)[1]:
            raise RegistrationError(
                "The LMS registration endpoint is missing or not on the issuer's host."
            )
        if PLATFORM_CONFIG not in config:
            raise RegistrationError("This is not an LTI platform configuration.")
        return config

    def complete_registration(
        self, openid_configuration: dict[str, Any], openid_registration: dict[str, Any]
    ) -> PlatformRegistration:
        """Turn the platform's answer into a registration to store."""
        client_id = openid_registration.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise RegistrationError("The LMS did not return a client ID.")
        tool_config = openid_registration.get(TOOL_CONFIG) or {}
        deployment = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
        platform_config = openid_configuration.get(PLATFORM_CONFIG) or {}
        audience = openid_configuration.get("authorization_server")
        return PlatformRegistration(
            issuer=openid_configuration["issuer"],
            client_id=client_id[:255],
            auth_login_url=openid_configuration["authorization_endpoint"],
            auth_token_url=openid_configuration["token_endpoint"],
            key_set_url=openid_configuration["jwks_uri"],
            auth_audience=audience if isinstance(audience, str) and audience else None,
            deployment_id=str(deployment)[:255] if deployment else None,
            name=str(platform_config.get("product_family_code") or "")[:255]
            if isinstance(platform_config, dict)
            else "",
        )


def register(
    tool: ToolUrls, openid_configuration_url: str, registration_token: str, timeout: float
) -> PlatformRegistration:
    """Run Dynamic Registration against a platform.

    Raises:
        RegistrationError: a reason for the admin (bad parameters, refused, unreachable).
    """
    if not _https_or_local(openid_configuration_url):
        raise RegistrationError("The openid_configuration parameter must be an https URL.")
    if not registration_token:
        raise RegistrationError("The registration_token parameter is missing.")
    flow = ToolDynamicRegistration(tool, openid_configuration_url, registration_token, timeout)
    try:
        result = flow.register()
    except RegistrationError:
        raise
    except LtiException as error:
        response = getattr(error, "response", None)
        code = getattr(response, "status_code", "?")
        raise RegistrationError(f"The LMS refused the registration (HTTP {code}).") from error
    except requests.RequestException as error:
        raise RegistrationError(
            f"The LMS could not be reached ({type(error).__name__}); try again."
        ) from error
    except (AssertionError, KeyError, TypeError, ValueError) as error:
        raise RegistrationError("The LMS answered the registration unexpectedly.") from error
    if not isinstance(result, PlatformRegistration):
        raise RegistrationError("The LMS answered the registration unexpectedly.")
    return result
