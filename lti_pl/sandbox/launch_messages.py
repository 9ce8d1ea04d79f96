"""The id_tokens the sandbox signs for a launch (resource link or deep linking request)."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import jwt

from lti_pl.sandbox.course import (
    CONTEXT_ID,
    CONTEXT_TITLE,
    COURSES,
    sandbox_course,
)
from lti_pl.sandbox.protocol import (
    AGS_CLAIM,
    CLIENT_ID,
    DEPLOYMENT_ID,
    DL_SETTINGS,
    ID_TOKEN_TTL,
    INSTRUCTOR_ROLE,
    LTI,
    NRPS_CLAIM,
    SCOPES,
    LaunchRequest,
    SandboxError,
)

logger = logging.getLogger(__name__)


class LaunchMessages:
    """Launch claims and their signature (part of SandboxPlatform)."""

    def claims(self, request: LaunchRequest, nonce: str, redirect_uri: str) -> dict[str, Any]:
        """The claims of the id_token for a launch."""
        person = self.person(request.user_id)
        link = None if request.deep_linking else self.link(request.link_id)
        course = sandbox_course(link.get("context_id", CONTEXT_ID) if link else "") or COURSES[0]
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "sub": person.user_id,
            "iat": now,
            "exp": now + ID_TOKEN_TTL,
            "nonce": nonce,
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT_ID,
            LTI + "roles": list(person.roles),
            LTI + "context": {
                "id": course.context_id,
                "title": course.title,
                "label": course.label,
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            LTI + "tool_platform": {
                "guid": "lti-pl-sandbox",
                "name": "Sandbox LMS",
                "product_family_code": "lti_pl_sandbox",
            },
            LTI + "launch_presentation": {"document_target": "iframe", "width": 800},
            NRPS_CLAIM: {
                "context_memberships_url": f"{self.url}/nrps/{course.context_id}",
                "service_versions": ["2.0"],
            },
        }
        if person.mentor_of:
            body[LTI + "role_scope_mentor"] = list(person.mentor_of)
        ags: dict[str, Any] = {
            "scope": [SCOPES["lineitem"], SCOPES["result"], SCOPES["score"]],
            "lineitems": f"{self.url}/ags/{CONTEXT_ID}/lineitems",
        }
        if request.deep_linking:
            if INSTRUCTOR_ROLE not in person.roles:
                raise SandboxError("Only the teacher can add activities.", 403)
            body[LTI + "message_type"] = "LtiDeepLinkingRequest"
            body[LTI + "target_link_uri"] = redirect_uri
            body[DL_SETTINGS] = {
                "deep_link_return_url": self.url + "/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "accept_lineitem": True,
                "auto_create": True,
                "title": "Add an activity to " + CONTEXT_TITLE,
                "data": "sandbox-dl-" + uuid.uuid4().hex[:8],
            }
        elif link is not None:
            body[LTI + "message_type"] = "LtiResourceLinkRequest"
            body[LTI + "target_link_uri"] = link["url"]
            body[LTI + "resource_link"] = {"id": link["id"], "title": link["title"]}
            body[LTI + "custom"] = dict(link.get("custom") or {})
            if link.get("line_item"):
                ags["lineitem"] = link["line_item"]
        if course.context_id == CONTEXT_ID:  # the gradebook is the first course's
            body[AGS_CLAIM] = ags
        return body

    def sign(self, body: dict[str, Any]) -> str:
        """Sign claims with the sandbox's key (RS256, with its kid)."""
        return jwt.encode(body, self.private_key, algorithm="RS256", headers={"kid": self.kid})
