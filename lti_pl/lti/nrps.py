"""LTI Names and Role Provisioning Services 2.0: the course roster, paged, with differences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.lti.service_connector import LtiServiceConnector

SCOPE_MEMBERSHIP = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass(frozen=True)
class RosterMember:
    """One member as NRPS reports it (fields the platform withheld are empty)."""

    user_id: str
    roles: tuple[str, ...]
    status: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""


@dataclass
class Roster:
    """Every member across pages, and the differences link for the next sync."""

    members: list[RosterMember] = field(default_factory=list)
    differences_url: str | None = None
    pages: int = 0


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_member(raw: Any) -> RosterMember | None:
    """A member from NRPS JSON; None when it has no user_id."""
    if not isinstance(raw, dict):
        return None
    user_id = _text(raw.get("user_id"))
    if not user_id:
        return None
    roles = raw.get("roles")
    status = _text(raw.get("status")) or EnrollmentStatus.ACTIVE.value
    if status not in {s.value for s in EnrollmentStatus}:
        status = EnrollmentStatus.ACTIVE.value
    return RosterMember(
        user_id=user_id[:255],
        roles=tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
        status=status,
        name=_text(raw.get("name"))[:255],
        given_name=_text(raw.get("given_name"))[:255],
        family_name=_text(raw.get("family_name"))[:255],
        email=_text(raw.get("email"))[:320],
    )


class NrpsClient:
    """NRPS calls for one platform registration."""

    def __init__(self, connector: LtiServiceConnector) -> None:
        self.connector = connector

    def roster(self, url: str) -> Roster:
        """Read every page from `url` (memberships or differences URL), following rel="next"."""
        roster = Roster()
        for page in self.connector.paged(url, [SCOPE_MEMBERSHIP], accept=MEMBERSHIP_TYPE):
            roster.pages += 1
            body = page.body if isinstance(page.body, dict) else {}
            members = body.get("members")
            for raw in members if isinstance(members, list) else []:
                member = parse_member(raw)
                if member is not None:
                    roster.members.append(member)
            if page.links.get("differences"):
                roster.differences_url = page.links["differences"]
        return roster
