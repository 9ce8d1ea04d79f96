"""NRPS roster sync: Person and Enrollment rows from the platform's membership list."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.search import matches_words, query_words
from lti_pl.extensions import db
from lti_pl.lti.nrps import NrpsClient, Roster, RosterMember
from lti_pl.lti.roles import CourseRole, course_role
from lti_pl.models.courses import Course, Enrollment, Person

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RosterSyncResult:
    """What one sync changed."""

    members: int
    created: int
    updated: int
    inactive: int
    used_differences: bool

    def summary(self) -> str:
        """A line for the teacher."""
        kind = "changes" if self.used_differences else "members"
        return f"OK: {self.members} {kind} read, {self.created} new, {self.updated} updated" + (
            f", {self.inactive} no longer listed" if self.inactive else ""
        )


def _apply(course: Course, member: RosterMember) -> tuple[Enrollment | None, bool]:
    """Create or update one member's Person and Enrollment. Returns (enrollment, created)."""
    issuer = course.platform.issuer
    person = db.session.scalars(
        select(Person).where(Person.issuer == issuer, Person.subject == member.user_id)
    ).first()
    role = course_role(member.roles)
    enrollment = None
    if person is not None:
        enrollment = db.session.scalars(
            select(Enrollment).where(
                Enrollment.course_id == course.id, Enrollment.person_id == person.id
            )
        ).first()
    if role is None and enrollment is None:
        return None, False  # a role we do not serve: nobody to create
    if person is None:
        person = Person(issuer=issuer, subject=member.user_id)
        db.session.add(person)
    # Names and email only when the platform sends them (privacy settings may withhold them).
    for attr in ("name", "given_name", "family_name"):
        if getattr(member, attr):
            setattr(person, attr, getattr(member, attr))
    if member.email:
        person.email = member.email
    db.session.flush()
    created = enrollment is None
    if enrollment is None:
        enrollment = Enrollment(course_id=course.id, person_id=person.id, role=role)
        db.session.add(enrollment)
    if role is not None:
        enrollment.role = role
    enrollment.lti_roles = list(member.roles)
    enrollment.status = member.status
    return enrollment, created


def apply_roster(
    course_id: int,
    roster: Roster,
    *,
    now: datetime,
    full: bool,
    on_progress: Callable[[int, int], None] | None = None,
) -> RosterSyncResult:
    """Write a roster into the course; a full roster marks members it omits Inactive.

    Args:
        course_id: the course.
        roster: members read from NRPS (the full list, or differences).
        now: when the sync ran.
        full: whether `roster` is the complete membership (not differences).
        on_progress: called with (members applied, members in all) as the members are written.
    """
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFoundError("No such course.")
    seen: set[int] = set()
    created = updated = 0
    for done, member in enumerate(roster.members, start=1):
        enrollment, is_new = _apply(course, member)
        if on_progress is not None:
            on_progress(done, len(roster.members))
        if enrollment is None:
            continue
        db.session.flush()
        seen.add(enrollment.id)
        created += is_new
        updated += not is_new
    inactive = 0
    # An empty full roster is more likely a platform glitch than everyone leaving the course.
    if full and roster.members:
        for enrollment in db.session.scalars(
            select(Enrollment).where(
                Enrollment.course_id == course_id,
                Enrollment.status == EnrollmentStatus.ACTIVE,
                Enrollment.id.not_in(seen) if seen else Enrollment.id.is_not(None),
            )
        ):
            enrollment.status = EnrollmentStatus.INACTIVE.value
            inactive += 1
    if roster.differences_url:
        course.roster_differences_url = roster.differences_url
    result = RosterSyncResult(len(roster.members), created, updated, inactive, not full)
    course.roster_synced_at = now
    course.roster_sync_status = result.summary()
    db.session.flush()
    logger.info("roster synced course=%s members=%s created=%s", course_id, result.members, created)
    return result


def roster_source(course_id: int, *, full: bool = False) -> tuple[int, str, bool]:
    """Where to read the roster: (platform id, URL, whether it is the full roster).

    Raises:
        NotFoundError: no course, or the platform gave no memberships URL.
    """
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFoundError("No such course.")
    if not course.memberships_url:
        raise NotFoundError("The LMS did not offer the course roster (NRPS) to this tool.")
    use_differences = bool(course.roster_differences_url) and not full
    url = (course.roster_differences_url if use_differences else None) or course.memberships_url
    return course.platform_id, url, not use_differences


def sync_roster(
    client: NrpsClient, course_id: int, *, now: datetime, full: bool = False
) -> RosterSyncResult:
    """Read the roster through NRPS and apply it (differences when a link is stored).

    Callers that own the transaction (the background job) should rather call roster_source(),
    end the transaction, fetch, then apply_roster(): no database lock is held while the LMS answers.

    Raises:
        NotFoundError: no course, or the platform gave no memberships URL.
        ServiceError: the platform failed or refused.
    """
    _, url, is_full = roster_source(course_id, full=full)
    roster = client.roster(url)
    return apply_roster(course_id, roster, now=now, full=is_full)


def record_failure(course_id: int, reason: str, *, now: datetime) -> None:
    """Show a failed sync to the teacher (the previous roster stays)."""
    course = db.session.get(Course, course_id)
    if course is not None:
        course.roster_synced_at = now
        course.roster_sync_status = f"Failed: {reason}"[:500]
        db.session.flush()


def course_roster(course_id: int) -> list[Enrollment]:
    """Every enrollment of the course: active first, then teachers, students, observers, by name."""
    rows = list(db.session.scalars(select(Enrollment).where(Enrollment.course_id == course_id)))
    statuses = {status.value: rank for rank, status in enumerate(EnrollmentStatus)}
    roles = {role.value: rank for rank, role in enumerate(CourseRole)}
    return sorted(
        rows,
        key=lambda e: (
            statuses.get(e.status, len(statuses)),
            roles.get(e.role, len(roles)),
            e.person.display_name.casefold(),
        ),
    )


@dataclass(frozen=True)
class RosterPage:
    """The roster as the teacher filtered it: who is shown, out of how many, and per role."""

    people: list[Enrollment]
    total: int
    # Everyone in the course per role (the filter's choices say how many each would show).
    per_role: dict[CourseRole, int]


def find_on_roster(course_id: int, query: str = "", role: str = "") -> RosterPage:
    """The course's people whose name or email holds every word of `query`, of `role` if given.

    Raises:
        InvalidInputError: `role` is not a course role (a hand-edited link).
    """
    try:
        wanted = CourseRole(role) if role else None
    except ValueError:
        raise InvalidInputError(
            "Show: choose everyone, students, teachers or observers.", field="role"
        ) from None
    everyone = course_roster(course_id)
    words = query_words(query)
    people = [
        e
        for e in everyone
        if (wanted is None or e.role == wanted)
        and matches_words(words, e.person.display_name, e.person.email)
    ]
    counts = Counter(e.role for e in everyone)
    return RosterPage(
        people=people, total=len(everyone), per_role={r: counts[r] for r in CourseRole}
    )
