"""Provision Course, Person, Enrollment and ResourceLink from a validated launch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain.errors import NotAllowedError
from lti_pl.extensions import db
from lti_pl.lti.launch import LaunchInfo
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Course, Enrollment, ObserverLink, Person, ResourceLink
from lti_pl.models.platforms import Deployment


@dataclass(frozen=True)
class LaunchOutcome:
    """What the session needs after a launch: who, where, as what."""

    enrollment_id: int
    course_id: int
    role: CourseRole
    resource_link_id: int | None


def provision(info: LaunchInfo, now: datetime) -> LaunchOutcome:
    """Create or update everything the launch tells us, and return the session's identity.

    Raises:
        NotAllowedError: the launch carries no role we serve.
    """
    if info.course_role is None:
        raise NotAllowedError("Your role in this course does not give access to this tool.")
    deployment = db.session.scalars(
        select(Deployment).where(
            Deployment.platform_id == info.platform_id,
            Deployment.deployment_id == info.deployment_id,
        )
    ).one()
    course = db.session.scalars(
        select(Course).where(
            Course.platform_id == info.platform_id, Course.context_id == info.context_id
        )
    ).first()
    if course is None:
        course = Course(platform_id=info.platform_id, context_id=info.context_id, method_params={})
        db.session.add(course)
    course.deployment_id = deployment.id
    course.title = info.context_title or course.title or "Untitled course"
    course.label = info.context_label or course.label
    if info.memberships_url:
        course.memberships_url = info.memberships_url
    if info.line_items_url:
        course.line_items_url = info.line_items_url
    if info.ags_scopes:
        course.ags_scopes = list(info.ags_scopes)

    person = db.session.scalars(
        select(Person).where(Person.issuer == info.issuer, Person.subject == info.subject)
    ).first()
    if person is None:
        person = Person(issuer=info.issuer, subject=info.subject)
        db.session.add(person)
    # Names and email only when the platform sends them (privacy settings may withhold them).
    for attr in ("name", "given_name", "family_name"):
        if getattr(info, attr):
            setattr(person, attr, getattr(info, attr))
    if info.email:
        person.email = info.email
    db.session.flush()

    enrollment = db.session.scalars(
        select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.person_id == person.id
        )
    ).first()
    if enrollment is None:
        enrollment = Enrollment(course_id=course.id, person_id=person.id, role=info.course_role)
        db.session.add(enrollment)
    enrollment.role = info.course_role
    enrollment.lti_roles = list(info.roles)
    enrollment.status = "Active"
    enrollment.last_launch_at = now

    link_id: int | None = None
    if info.resource_link_id:
        link = db.session.scalars(
            select(ResourceLink).where(
                ResourceLink.course_id == course.id,
                ResourceLink.resource_link_id == info.resource_link_id,
            )
        ).first()
        if link is None:
            link = ResourceLink(course_id=course.id, resource_link_id=info.resource_link_id)
            db.session.add(link)
        link.title = info.resource_link_title or link.title
        link.custom = dict(info.custom)
        if info.line_item_url:
            link.line_item_url = info.line_item_url
        db.session.flush()
        link_id = link.id
    db.session.flush()
    if info.course_role is CourseRole.OBSERVER and info.mentor_of:
        _link_observer(enrollment, course, info)
    return LaunchOutcome(enrollment.id, course.id, info.course_role, link_id)


def _link_observer(observer: Enrollment, course: Course, info: LaunchInfo) -> None:
    """Record which students (by platform user id) this observer may read."""
    students = db.session.scalars(
        select(Enrollment)
        .join(Person)
        .where(
            Enrollment.course_id == course.id,
            Person.issuer == info.issuer,
            Person.subject.in_(info.mentor_of),
        )
    ).all()
    known = set(
        db.session.scalars(
            select(ObserverLink.student_id).where(ObserverLink.observer_id == observer.id)
        )
    )
    for student in students:
        if student.id not in known:
            db.session.add(ObserverLink(observer_id=observer.id, student_id=student.id))
    db.session.flush()
