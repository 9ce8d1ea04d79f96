"""The sandbox platform's protocol constants, its error and what it is asked to launch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
SCOPES = {
    "lineitem": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "lineitem.readonly": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "result": "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "score": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "nrps": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}
CLIENT_ID = "lti-pl-sandbox"
DEPLOYMENT_ID = "sandbox-deployment-1"
TOKEN_TTL = 3600
ID_TOKEN_TTL = 300
JWKS_CACHE_SECONDS = 300
KEY_FILE = "sandbox_platform_key.pem"
STATE_FILE = "sandbox_state.json"
INSTRUCTOR_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


class SandboxError(Exception):
    """A request the sandbox refuses (shown on its error page or as a JSON error)."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


def now_iso() -> str:
    """The current UTC time, to the second, as the gradebook records it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class LaunchRequest:
    """What the sandbox is asked to launch: who, which link, which message."""

    user_id: str
    link_id: str
    deep_linking: bool
