"""The sandbox's Names and Role Provisioning Service (the course roster)."""

from __future__ import annotations

import logging
from typing import Any

from lti_pl.sandbox.course import (
    CONTEXT_ID,
    CONTEXT_LABEL,
    CONTEXT_TITLE,
)
from lti_pl.sandbox.protocol import (
    now_iso,
)

logger = logging.getLogger(__name__)


class Memberships:
    """NRPS memberships (part of SandboxPlatform)."""

    def memberships(self) -> dict[str, Any]:
        """The NRPS membership container of the course (and a note of when it was served)."""
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
            "id": f"{self.url}/nrps/{CONTEXT_ID}",
            "context": {"id": CONTEXT_ID, "label": CONTEXT_LABEL, "title": CONTEXT_TITLE},
            "members": members,
        }
