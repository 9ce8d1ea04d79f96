"""LTI 1.3 claims → `LaunchInfo`: the claim URIs and the mapping from a verified id_token body.

Outside lti/ nobody sees a claim URI: a valid launch is a `LaunchInfo`, in our words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lti_pl.lti.launch_errors import LaunchError
from lti_pl.lti.roles import CourseRole, course_role
from lti_pl.lti.tool_config import RegistrationRecord

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGES = frozenset({RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST})


@dataclass(frozen=True)
class LaunchInfo:
    """A validated launch, in our words. No token inside."""

    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    subject: str
    roles: tuple[str, ...]
    course_role: CourseRole | None
    context_id: str
    context_title: str = ""
    context_label: str = ""
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str | None = None
    resource_link_id: str = ""
    resource_link_title: str = ""
    custom: Mapping[str, str] = field(default_factory=dict)
    line_items_url: str | None = None
    line_item_url: str | None = None
    ags_scopes: tuple[str, ...] = ()
    memberships_url: str | None = None
    deep_linking: Mapping[str, Any] | None = None
    mentor_of: tuple[str, ...] = ()
    target_link_uri: str = ""
    deployment_row_id: int | None = None  # the Deployment row, when the registration knew it


def _launch_address(url: str) -> tuple[str, str, str]:
    """(scheme, host[:port], path) of a URL, compared without query, fragment or final slash."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def check_target_link_uri(info: LaunchInfo, launch_url: str) -> None:
    """The target_link_uri claim names our launch URL (required on a resource-link launch).

    A query string is allowed (a platform may add one); another path or host is not.

    Raises:
        LaunchError: missing_target when a resource-link launch has none, bad_target when it
            names another address.
    """
    target = info.target_link_uri
    if not target:
        if info.message_type == RESOURCE_LINK_REQUEST:
            raise LaunchError("missing_target")
        return
    if _launch_address(target) != _launch_address(launch_url):
        raise LaunchError("bad_target", "target_link_uri")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def launch_info(record: RegistrationRecord, body: Mapping[str, Any]) -> LaunchInfo:
    """Our LaunchInfo from verified claims; odd claim shapes are read as absent, never raised."""
    message_type = _text(body.get(CLAIM + "message_type"))
    if message_type not in SUPPORTED_MESSAGES:
        raise LaunchError("bad_message", "message type")
    if _text(body.get(CLAIM + "version")) != "1.3.0":
        raise LaunchError("bad_message", "version")
    subject = _text(body.get("sub"))
    if not subject:
        raise LaunchError("bad_message", "anonymous launch")
    raw_roles = body.get(CLAIM + "roles")
    roles = tuple(r for r in raw_roles if isinstance(r, str)) if isinstance(raw_roles, list) else ()
    context = _mapping(body.get(CLAIM + "context"))
    context_id = _text(context.get("id"))
    if not context_id:
        raise LaunchError("bad_message", "no context")
    link = _mapping(body.get(CLAIM + "resource_link"))
    ags = _mapping(body.get(AGS_CLAIM))
    nrps = _mapping(body.get(NRPS_CLAIM))
    custom = {str(k): str(v) for k, v in _mapping(body.get(CLAIM + "custom")).items()}
    scopes = ags.get("scope")
    mentor = body.get(CLAIM + "role_scope_mentor")
    email = _text(body.get("email")) or None
    dl = body.get(DL_CLAIM)
    return LaunchInfo(
        platform_id=record.platform_id,
        issuer=record.issuer,
        client_id=record.client_id,
        deployment_id=_text(body.get(CLAIM + "deployment_id")),
        deployment_row_id=record.deployment_rows.get(_text(body.get(CLAIM + "deployment_id"))),
        message_type=message_type,
        subject=subject[:255],
        roles=roles,
        course_role=course_role(roles),
        context_id=context_id[:255],
        context_title=_text(context.get("title"))[:500],
        context_label=_text(context.get("label"))[:255],
        name=_text(body.get("name"))[:255],
        given_name=_text(body.get("given_name"))[:255],
        family_name=_text(body.get("family_name"))[:255],
        email=email[:320] if email else None,
        resource_link_id=_text(link.get("id"))[:255],
        resource_link_title=_text(link.get("title"))[:500],
        custom=custom,
        line_items_url=_text(ags.get("lineitems")) or None,
        line_item_url=_text(ags.get("lineitem")) or None,
        ags_scopes=tuple(s for s in scopes if isinstance(s, str))
        if isinstance(scopes, list)
        else (),
        memberships_url=_text(nrps.get("context_memberships_url")) or None,
        deep_linking=dict(dl)
        if message_type == DEEP_LINKING_REQUEST and isinstance(dl, dict)
        else None,
        mentor_of=tuple(m for m in mentor if isinstance(m, str))
        if isinstance(mentor, list)
        else (),
        target_link_uri=_text(body.get(CLAIM + "target_link_uri")),
    )
