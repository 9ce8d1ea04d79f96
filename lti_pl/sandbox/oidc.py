"""The sandbox's side of the OIDC login: the form that starts it, the hint it signs, /auth's checks.

Third-party initiated login (LTI 1.3 security framework): the sandbox posts a login request to the
tool carrying a signed, short-lived `lti_message_hint` (who launches what); the tool answers with an
authentication request, which the sandbox checks before it signs an id_token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from lti_pl.sandbox.protocol import CLIENT_ID, DEPLOYMENT_ID, LaunchRequest, SandboxError

if TYPE_CHECKING:
    from lti_pl.sandbox.platform import SandboxPlatform

STORAGE_FRAME = "lti_storage_frame"
HINT_MAX_AGE = 600


class LaunchHints:
    """The `lti_message_hint`: a LaunchRequest signed with the app's secret, for HINT_MAX_AGE."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="lti-message-hint")

    def dump(self, launch: LaunchRequest) -> str:
        """The signed hint for a launch."""
        return self._serializer.dumps(
            {"u": launch.user_id, "l": launch.link_id, "d": launch.deep_linking}
        )

    def load(self, hint: str, login_hint: str | None) -> LaunchRequest:
        """The launch a hint names, if it is ours, fresh and for the same login_hint.

        Raises:
            SandboxError: an expired or forged hint, or a login_hint of someone else.
        """
        try:
            data = self._serializer.loads(hint, max_age=HINT_MAX_AGE)
        except BadSignature as error:
            raise SandboxError(
                "this launch expired: start it again from the course page"
            ) from error
        if data.get("u") != login_hint:
            raise SandboxError("login_hint does not match the launch")
        return LaunchRequest(data["u"], data.get("l", ""), bool(data.get("d")))


def login_fields(
    platform: SandboxPlatform, user_id: str, link: dict[str, Any] | None, hint: str
) -> dict[str, str]:
    """The login initiation request posted to the tool's /lti/login (no link: deep linking)."""
    return {
        "iss": platform.issuer,
        "login_hint": user_id,
        "lti_message_hint": hint,
        "target_link_uri": link["url"] if link else platform.tool_url + "/lti/launch",
        "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID,
        "lti_storage_target": STORAGE_FRAME,
    }


def check_auth_request(params: Mapping[str, str], tool_url: str) -> None:
    """Refuse an authentication request the sandbox does not answer (only id_token, form_post).

    Raises:
        SandboxError: another client, an unregistered redirect_uri, another response type or
            scope, or no state or nonce.
    """
    if params.get("client_id") != CLIENT_ID:
        raise SandboxError("unknown client_id")
    if params.get("redirect_uri", "") != tool_url + "/lti/launch":
        raise SandboxError("redirect_uri is not registered for this tool")
    if params.get("response_type") != "id_token" or "openid" not in params.get("scope", "").split():
        raise SandboxError("only response_type=id_token with scope openid is supported")
    if not params.get("nonce") or not params.get("state"):
        raise SandboxError("state and nonce are required")
