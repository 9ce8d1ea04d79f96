"""Why a login or launch was refused: the reason catalogue and `LaunchError`.

Each reason says what went wrong and what an admin can do; the launch error page shows both.
"""

from __future__ import annotations

# Reasons: code -> (what went wrong, what an admin can do).
REASONS: dict[str, tuple[str, str]] = {
    "missing_parameter": (
        "The LMS did not send everything an LTI 1.3 login needs.",
        "Check that the tool is configured as LTI 1.3 with the login URL …/lti/login.",
    ),
    "unknown_issuer": (
        "This LMS (issuer) is not registered with the tool.",
        "An admin registers it with `lti-pl platforms import FILE` or Dynamic Registration.",
    ),
    "unknown_client": (
        "This client ID is not registered for this LMS.",
        "Add the developer key's client ID with `lti-pl platforms import FILE`.",
    ),
    "ambiguous_client": (
        "This LMS has several registrations and did not say which client ID it uses.",
        "Configure the LMS to send client_id on login, or keep one registration per issuer.",
    ),
    "bad_target": (
        "The launch asked for an address outside this tool.",
        "Check the target link URI in the LMS configuration (it must be this tool's URL).",
    ),
    "missing_target": (
        "The launch did not say which page of the tool to open (no target_link_uri).",
        "The LMS must send the target link URI (LTI 1.3 core, §5.4): the tool's …/lti/launch URL.",
    ),
    "missing_token": (
        "The launch arrived without an id_token or state.",
        "Open the tool again from your course; if it persists the LMS is misconfigured.",
    ),
    "unknown_state": (
        "This launch expired or was already used.",
        "Open the tool again from your course (a launch is valid for 10 minutes, once).",
    ),
    "replayed": (
        "This launch was already used once and cannot be used again (replayed id_token).",
        "Open the tool again from your course. Repeated replays may mean an attack.",
    ),
    "state_mismatch": (
        "This launch was started in another browser or its cookie was blocked.",
        "Open the tool again; if your browser blocks cookies, allow them for this site.",
    ),
    "storage_unanswered": (
        "This browser blocks the tool's cookies in the course page, and the LMS did not answer"
        " the tool's check through its platform storage.",
        "Open the tool again from your course. If it keeps happening, allow cookies for this"
        " site, or an admin checks that the LMS offers LTI platform storage to the tool.",
    ),
    "issuer_mismatch": (
        "The id_token comes from another LMS than the one that started this login.",
        "Open the tool again from your course.",
    ),
    "nonce_mismatch": (
        "The id_token does not belong to this login (nonce mismatch).",
        "Open the tool again from your course.",
    ),
    "malformed_token": (
        "The id_token is not a well-formed signed JWT.",
        "The LMS sent something that is not an LTI 1.3 id_token.",
    ),
    "bad_signature": (
        "The id_token's signature could not be verified with the LMS's public keys.",
        "Check the registration's key set URL (JWKS) for this LMS.",
    ),
    "unknown_key": (
        "The id_token was signed with a key the LMS does not publish.",
        "Check the registration's key set URL (JWKS); the LMS may have rotated keys.",
    ),
    "jwks_unavailable": (
        "The LMS's public keys could not be fetched.",
        "Check that the key set URL is reachable from the tool's server.",
    ),
    "expired": (
        "The id_token has expired or is not valid yet.",
        "Open the tool again; if it persists, check the clocks of the LMS and tool servers.",
    ),
    "wrong_audience": (
        "The id_token was issued for another tool (audience / azp).",
        "Check the client ID registered for this LMS.",
    ),
    "unknown_deployment": (
        "This deployment is not registered.",
        "Run `lti-pl platforms import FILE` with this deployment ID in deployment_ids.",
    ),
    "bad_message": (
        "The LTI message is missing required claims or has an unsupported type or version.",
        "The LMS must send an LTI 1.3.0 resource link or deep linking request.",
    ),
    "no_role": (
        "Your role in this course does not give access to this tool.",
        "Teachers, students and observers can use the tool; ask your teacher.",
    ),
}


class LaunchError(Exception):
    """A refused login or launch.

    Args:
        code: a key of REASONS.
        detail: extra text for the log (never a token or personal data).
    """

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.message, self.hint = REASONS[code]
        self.detail = detail
        self.status = 403 if code == "no_role" else 400
        super().__init__(f"{code}: {self.message}")


def reason_for_library_message(message: str) -> str:
    """The reason code for a pylti1p3 exception's message (the library raises untyped errors)."""
    text = message.lower()
    if "deployment" in text:
        return "unknown_deployment"
    if "registration" in text or "client id" in text:
        return "unknown_client"
    if "jwt" in text and ("part" in text or "decode" in text or "format" in text):
        return "malformed_token"
    return "bad_message"
