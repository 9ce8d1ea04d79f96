"""The sandbox course as the tool sees it: issuer, registration, people and LTI links."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from lti_pl.sandbox.course import (
    CONTEXT_ID,
    COURSES,
    SandboxPerson,
)
from lti_pl.sandbox.protocol import (
    CLIENT_ID,
    DEPLOYMENT_ID,
    SandboxError,
    now_iso,
)

logger = logging.getLogger(__name__)


class CourseLinks:
    """Identity, people and links of the sandbox course (part of SandboxPlatform)."""

    @property
    def issuer(self) -> str:
        """The iss of every id_token: the sandbox's base URL."""
        return self.url

    def tool_config(self) -> dict[str, Any]:
        """This platform in pylti1p3's tool-config JSON (what `lti-pl platforms import` reads)."""
        return {
            self.issuer: [
                {
                    "default": True,
                    "name": "Sandbox LMS (demo)",
                    "client_id": CLIENT_ID,
                    "auth_login_url": self.url + "/auth",
                    "auth_token_url": self.url + "/token",
                    "key_set_url": self.url + "/jwks",
                    "deployment_ids": [DEPLOYMENT_ID],
                }
            ]
        }

    def person(self, user_id: str) -> SandboxPerson:
        """A member of the course by user id."""
        for person in self.people:
            if person.user_id == user_id:
                return person
        raise SandboxError("No such person in the sandbox course.", 404)

    @property
    def teacher(self) -> SandboxPerson:
        """The course's teacher."""
        return self.people[0]

    def links(self) -> list[dict[str, Any]]:
        """The course's LTI links (activities), oldest first."""
        with self.lock:
            return [dict(link) for link in self.state["links"]]

    def course_links(self, context_id: str) -> list[dict[str, Any]]:
        """A course's activities: the first course's links; another course has its home only."""
        if context_id == CONTEXT_ID:
            return self.links()
        return [
            {
                "id": course.home_link_id,
                "title": "lti_pl (course home)",
                "url": self.tool_url + "/lti/launch",
                "custom": {},
                "line_item": None,
                "context_id": course.context_id,
            }
            for course in COURSES
            if course.context_id == context_id
        ]

    def link(self, link_id: str) -> dict[str, Any]:
        """One link by id (of any course)."""
        others = [link for c in COURSES[1:] for link in self.course_links(c.context_id)]
        for link in [*self.links(), *others]:
            if link["id"] == link_id:
                return link
        raise SandboxError("No such activity in the sandbox course.", 404)

    def ensure_default_link(self) -> dict[str, Any]:
        """The course's first activity ("lti_pl"), as an admin would add the tool to a course."""
        with self.lock:
            if not self.state["links"]:
                self.state["links"].append(
                    {
                        "id": "sandbox-link-home",
                        "title": "lti_pl (course home)",
                        "url": self.tool_url + "/lti/launch",
                        "custom": {},
                        "line_item": None,
                        "added_at": now_iso(),
                    }
                )
                self.save()
            return dict(self.state["links"][0])

    def add_links(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add the ltiResourceLink content items of a deep linking response.

        A content item with a lineItem gets a line item in the gradebook, as Canvas and Moodle do.
        """
        added = []
        with self.lock:
            for item in items:
                if not isinstance(item, dict) or item.get("type") != "ltiResourceLink":
                    continue
                link_id = "sandbox-link-" + uuid.uuid4().hex[:8]
                raw_custom = item.get("custom")
                custom: dict[str, Any] = raw_custom if isinstance(raw_custom, dict) else {}
                link: dict[str, Any] = {
                    "id": link_id,
                    "title": str(item.get("title") or "Untitled activity")[:200],
                    "text": str(item.get("text") or "")[:500],
                    "url": str(item.get("url") or self.tool_url + "/lti/launch"),
                    "custom": {str(k): str(v) for k, v in custom.items()},
                    "line_item": None,
                    "added_at": now_iso(),
                }
                spec = item.get("lineItem")
                if isinstance(spec, dict):
                    maximum = spec.get("scoreMaximum")
                    data = {
                        "label": str(spec.get("label") or link["title"]),
                        "scoreMaximum": maximum if isinstance(maximum, (int, float)) else 100,
                        "resourceId": str(spec.get("resourceId") or ""),
                        "tag": str(spec.get("tag") or ""),
                        "resourceLinkId": link_id,
                    }
                    link["line_item"] = self.create_line_item(data)["id"]
                self.state["links"].append(link)
                added.append(link)
            self.save()
        return added
