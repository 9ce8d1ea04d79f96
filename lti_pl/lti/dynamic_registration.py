"""LTI Dynamic Registration 1.0 (as Canvas and Moodle 4.x run it), on pylti1p3's helper.

The platform opens `/lti/register/<invite>?openid_configuration=…&registration_token=…`; we read
its OpenID configuration (with the token as Bearer), check that it names the issuer it was fetched
from, POST our client registration with the same token, and return what to store. Nothing here
writes to the database: a failure at any step leaves nothing half-stored.

Every URL the caller or the platform names is checked against a `UrlPolicy` before it is fetched
(https only, no private, loopback or link-local address unless configured; the check is
`lti_pl.outbound`, shared with the CASE provider import) and redirects are not followed: the
registration page must not let anyone make the tool fetch an internal address.
Every refusal carries a reason code for the log; the page shows one text for all of them, so the
answer does not tell a reachable address from an unreachable one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException

from lti_pl import outbound
from lti_pl.lti.service_connector import TimeoutSession
from lti_pl.outbound import UrlPolicy, UrlRefusedError

PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")


#: What the registration page says for every refusal or failure (no oracle on reachability).
REFUSED_MESSAGE = (
    "This registration was refused. Ask the administrator of this tool for a new registration link "
    "(`lti-pl platforms invite`), then start the registration again from your LMS."
)


class RegistrationError(Exception):
    """Registration refused or failed; `reason` is a code for the log, the message for tests."""

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason


def check_url(url: Any, policy: UrlPolicy, what: str = "url") -> str:
    """The URL, if the policy lets the tool fetch it (`lti_pl.outbound.check_url`).

    Raises:
        RegistrationError: with the refusal's reason code (`insecure_url`, `private_address`, ...).
    """
    try:
        return outbound.check_url(url, policy, what)
    except UrlRefusedError as error:
        raise RegistrationError(str(error), error.reason) from None


class _NoRedirectSession(TimeoutSession):
    """A timeout session that never follows a redirect (each URL is checked before a fetch)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


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


class ToolDynamicRegistration(DynamicRegistration):
    """pylti1p3's registration flow with our URLs, timeouts and issuer checks."""

    def __init__(
        self,
        tool: ToolUrls,
        openid_configuration_url: str,
        token: str,
        timeout: float,
        policy: UrlPolicy,
        allowed_issuers: frozenset[str] | None = None,
    ) -> None:
        self.tool = tool
        self._policy = policy
        self._allowed_issuers = allowed_issuers
        self.client_name = tool.name
        self.description = tool.description
        self._config_url = openid_configuration_url
        self._token = token
        self._timeout = timeout

    def get_request_session(self) -> requests.Session:
        """A session with our timeout."""
        return _NoRedirectSession(self._timeout)

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
                f"The LMS refused to share its configuration (HTTP {response.status_code}).",
                "configuration_refused",
            )
        try:
            config = response.json()
        except ValueError as error:
            raise RegistrationError("The LMS configuration is not JSON.", "not_json") from error
        if not isinstance(config, dict):
            raise RegistrationError("The LMS configuration is not a JSON object.", "not_json")
        issuer = config.get("issuer")
        if not isinstance(issuer, str) or _origin(issuer) != _origin(self._config_url):
            raise RegistrationError(
                "The LMS configuration names an issuer on another site than it was fetched from.",
                "issuer_elsewhere",
            )
        if self._allowed_issuers is not None and issuer.rstrip("/") not in self._allowed_issuers:
            raise RegistrationError("The issuer is not on the allow-list.", "issuer_not_allowed")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            check_url(config.get(key), self._policy, key)
        endpoint = check_url(config.get("registration_endpoint"), self._policy, "endpoint")
        if _origin(endpoint)[1] != _origin(issuer)[1]:
            raise RegistrationError(
                "The LMS registration endpoint is not on the issuer's host.", "endpoint_elsewhere"
            )
        if PLATFORM_CONFIG not in config:
            raise RegistrationError("This is not an LTI platform configuration.", "not_lti")
        return config

    def complete_registration(
        self, openid_configuration: dict[str, Any], openid_registration: dict[str, Any]
    ) -> PlatformRegistration:
        """Turn the platform's answer into a registration to store."""
        client_id = openid_registration.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise RegistrationError("The LMS did not return a client ID.", "no_client_id")
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


def check_request(openid_configuration_url: str, registration_token: str) -> None:
    """Refuse a registration request that lacks its parameters (before any consent lookup).

    Raises:
        RegistrationError: `missing_parameter`.
    """
    if not openid_configuration_url or not registration_token or len(registration_token) > 4096:
        raise RegistrationError("A registration parameter is missing.", "missing_parameter")


def issuer_origin_allowed(openid_configuration_url: str, allowed_issuers: frozenset[str]) -> bool:
    """Whether the configuration URL is on the site of an allow-listed issuer."""
    wanted = _origin(openid_configuration_url)
    return any(_origin(issuer) == wanted for issuer in allowed_issuers)


def register(
    tool: ToolUrls,
    openid_configuration_url: str,
    registration_token: str,
    timeout: float,
    policy: UrlPolicy | None = None,
    allowed_issuers: frozenset[str] | None = None,
) -> PlatformRegistration:
    """Run Dynamic Registration against a platform.

    Args:
        tool: our URLs.
        openid_configuration_url: where the platform's configuration is.
        registration_token: the platform's one-time token.
        timeout: seconds per HTTP request.
        policy: which URLs may be fetched (default: https, public addresses only).
        allowed_issuers: when given, the issuer must be one of these.

    Raises:
        RegistrationError: with a reason code (bad parameters, refused, unreachable).
    """
    policy = policy or UrlPolicy()
    check_request(openid_configuration_url, registration_token)
    check_url(openid_configuration_url, policy, "openid_configuration")
    flow = ToolDynamicRegistration(
        tool, openid_configuration_url, registration_token, timeout, policy, allowed_issuers
    )
    try:
        result = flow.register()
    except RegistrationError:
        raise
    except LtiException as error:
        response = getattr(error, "response", None)
        code = getattr(response, "status_code", "?")
        raise RegistrationError(
            f"The LMS refused the registration (HTTP {code}).", "registration_refused"
        ) from error
    except requests.RequestException as error:
        raise RegistrationError(
            f"The LMS could not be reached ({type(error).__name__}).", "unreachable"
        ) from error
    except (AssertionError, KeyError, TypeError, ValueError) as error:
        raise RegistrationError("The LMS answered unexpectedly.", "unexpected") from error
    if not isinstance(result, PlatformRegistration):
        raise RegistrationError("The LMS answered unexpectedly.", "unexpected")
    return result
