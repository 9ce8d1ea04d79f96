"""The sandbox's Names and Role Provisioning Service (the course roster)."""

from __future__ import annotations

import logging
from typing import Any

from lti_pl.sandbox.course import CONTEXT_ID, sandbox_course
from lti_pl.sandbox.protocol import SandboxError, now_iso

logger = logging.getLogger(__name__)


class Memberships:
    """NRPS memberships (part of SandboxPlatform)."""

    # ------------------------------------------------------------------ NRPS
    def memberships(self, context_id: str = CONTEXT_ID) -> dict[str, Any]:
        """The NRPS membership container of a course (and a note of when it was served)."""
        course = sandbox_course(context_id)
        if course is None:
            raise SandboxError("no such context", 404)
        members = [
            {
                "user_id": p.user_id,
                "status": "Active",
                "name": p.name,
                "given_name": p.given_name,
                "family_name": p.family_name,
                "email": p.email,
                "roles": list(p.roles),
            }
            for p in self.people
        ]
        with self.lock:
            self.state["roster_requests"] = [
                *self.state["roster_requests"][-19:],
                {"at": now_iso(), "members": len(members)},
            ]
            self.save()
        return {
            "id": f"{self.url}/nrps/{course.context_id}",
            "context": {"id": course.context_id, "label": course.label, "title": course.title},
            "members": members,
        }
