"""Builders for test data: each creates what it needs, commits, and returns the row.

Builders commit (inside the test's outer transaction) so that a request's teardown, which
discards what was only flushed, keeps them. Every argument has a sensible default; pass only
what the test is about.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment, ObserverLink, Person
from lti_pl.models.evidence import (
    Assessment,
    Evidence,
    MasteryRecord,
    ReassessmentRequest,
    RelearningLog,
)
from lti_pl.models.grades import LineItem
from lti_pl.models.platforms import Deployment, Platform
from lti_pl.models.targets import LearningTarget, Unit

_counter = itertools.count(1)

#: A fixed moment for tests that do not care about time.
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _next() -> int:
    return next(_counter)


def _save(row: Any) -> Any:
    db.session.add(row)
    db.session.commit()
    return row


def _save_for(
    model: type[Any], enrollment: Enrollment, target: LearningTarget, **fields: Any
) -> Any:
    """Save a `model` row of `enrollment`'s work on `target` (course, enrollment and target ids)."""
    return _save(
        model(
            course_id=enrollment.course_id,
            enrollment_id=enrollment.id,
            target_id=target.id,
            **fields,
        )
    )


def make_platform(**fields: Any) -> Platform:
    """A platform registration with one deployment ("1")."""
    n = _next()
    issuer = fields.pop("issuer", f"https://lms{n}.test")
    platform = Platform(
        issuer=issuer,
        client_id=fields.pop("client_id", f"client-{n}"),
        name=fields.pop("name", f"LMS {n}"),
        auth_login_url=fields.pop("auth_login_url", f"{issuer}/auth"),
        auth_token_url=fields.pop("auth_token_url", f"{issuer}/token"),
        **fields,
    )
    platform.deployments.append(Deployment(deployment_id="1"))
    return _save(platform)


def make_course(platform: Platform | None = None, **fields: Any) -> Course:
    """A course on `platform` (a new one if None), with default mastery settings."""
    platform = platform or make_platform()
    n = _next()
    fields.setdefault("context_id", f"context-{n}")
    fields.setdefault("title", f"Course {n}")
    fields.setdefault("method_params", {})
    fields.setdefault("reassessment_policy", {})
    course = Course(platform_id=platform.id, deployment_id=platform.deployments[0].id, **fields)
    return _save(course)


def make_person(course: Course | None = None, **fields: Any) -> Person:
    """A person; the issuer defaults to the course's platform issuer when a course is given."""
    n = _next()
    if course is not None:
        fields.setdefault("issuer", db.session.get(Platform, course.platform_id).issuer)  # type: ignore[union-attr]
    fields.setdefault("issuer", "https://lms.test")
    fields.setdefault("subject", f"user-{n}")
    fields.setdefault("name", f"Person {n}")
    return _save(Person(**fields))


def make_enrollment(
    course: Course | None = None, role: str = "student", person: Person | None = None, **fields: Any
) -> Enrollment:
    """An enrollment of `person` (new if None) in `course` (new if None) with `role`.

    `role` is a CourseRole value: "student", "teacher" or "observer".
    """
    course = course or make_course()
    person = person or make_person(course)
    fields.setdefault("lti_roles", [])
    return _save(Enrollment(course_id=course.id, person_id=person.id, role=str(role), **fields))


def add_students(
    course_id: int, count: int, *, issuer: str, subject_prefix: str
) -> list[Enrollment]:
    """`count` students "Student 000"... in sections P1 to P4 by turns, flushed, not committed
    (for big fills that commit once)."""
    people = [
        Person(issuer=issuer, subject=f"{subject_prefix}{n}", name=f"Student {n:03d}")
        for n in range(count)
    ]
    db.session.add_all(people)
    db.session.flush()
    students = [
        Enrollment(course_id=course_id, person_id=p.id, role="student", section=f"P{n % 4 + 1}")
        for n, p in enumerate(people)
    ]
    db.session.add_all(students)
    db.session.flush()
    return students


def make_student(course: Course | None = None, **fields: Any) -> Enrollment:
    """A student enrollment."""
    return make_enrollment(course, "student", **fields)


def make_teacher(course: Course | None = None, **fields: Any) -> Enrollment:
    """A teacher enrollment."""
    return make_enrollment(course, "teacher", **fields)


def make_observer_link(observer: Enrollment, student: Enrollment) -> ObserverLink:
    """Let `observer` read `student`'s work."""
    return _save(ObserverLink(observer_id=observer.id, student_id=student.id))


def make_unit(course: Course, title: str = "Unit 1", position: int = 0) -> Unit:
    """A unit of targets."""
    return _save(Unit(course_id=course.id, title=title, position=position))


def make_target(
    course: Course | None = None, statement: str | None = None, **fields: Any
) -> LearningTarget:
    """A learning target ("I can …"), placed after the course's existing targets."""
    course = course or make_course()
    if "position" not in fields:
        fields["position"] = (
            db.session.query(db.func.coalesce(db.func.max(LearningTarget.position), -1))
            .filter(LearningTarget.course_id == course.id)
            .scalar()
            + 1
        )
    fields.setdefault("method_params", {})
    statement = statement or f"I can do thing {_next()}"
    return _save(LearningTarget(course_id=course.id, statement=statement, **fields))


def make_evidence(
    enrollment: Enrollment, target: LearningTarget, text: str = "My work", **fields: Any
) -> Evidence:
    """A text evidence (pass kind/url/stored_name... for others)."""
    fields.setdefault("kind", "text")
    fields.setdefault("submitted_at", T0)
    return _save_for(Evidence, enrollment, target, text=text, **fields)


def make_assessment(
    enrollment: Enrollment,
    target: LearningTarget,
    score: float,
    assessed_at: datetime | None = None,
    **fields: Any,
) -> Assessment:
    """A dated Assessment row (does NOT recompute mastery; call services.mastery.recompute)."""
    return _save_for(
        Assessment, enrollment, target, score=score, assessed_at=assessed_at or T0, **fields
    )


def make_reassessment_request(
    enrollment: Enrollment, target: LearningTarget, **fields: Any
) -> ReassessmentRequest:
    """A pending "ready to be assessed" request."""
    fields.setdefault("requested_at", T0)
    return _save_for(ReassessmentRequest, enrollment, target, **fields)


def make_relearning_log(
    enrollment: Enrollment, target: LearningTarget, kind: str = "reflection", **fields: Any
) -> RelearningLog:
    """A relearning log entry (reflection or practice_activity)."""
    fields.setdefault("logged_at", T0)
    return _save(
        RelearningLog(enrollment_id=enrollment.id, target_id=target.id, kind=kind, **fields)
    )


def make_mastery_record(
    enrollment: Enrollment,
    target: LearningTarget,
    score: float | None,
    **fields: Any,
) -> MasteryRecord:
    """A MasteryRecord row written directly (for readers such as the data wall).

    Level label, mastered flag and level points follow the default scale unless given.
    """
    from lti_pl.domain.targets import DEFAULT_SCALE

    if score is not None:
        level = DEFAULT_SCALE.level_for(score)
        fields.setdefault("label", level.label)
        fields.setdefault("level_points", level.points)
        fields.setdefault("is_mastered", DEFAULT_SCALE.is_mastered(score))
    fields.setdefault("method", "decaying_average")
    fields.setdefault("details", {})
    fields.setdefault("updated_at", T0)
    return _save_for(MasteryRecord, enrollment, target, score=score, **fields)


def make_line_item(
    course: Course,
    url: str | None = None,
    passback_mode: str = "aggregate",
    target: LearningTarget | None = None,
    **fields: Any,
) -> LineItem:
    """A LineItem row (as Deep Linking or a launch would record it)."""
    return _save(
        LineItem(
            course_id=course.id,
            url=url or f"https://lms.test/lineitems/{_next()}",
            passback_mode=passback_mode,
            target_id=target.id if target is not None else None,
            **fields,
        )
    )


def sign_in(client: Any, enrollment: Enrollment) -> Any:
    """Make `client`'s session act as `enrollment` (what a launch into its course records)."""
    with client.session_transaction(base_url="https://tool.test") as session:
        launches = dict(session.get("launches", {}))
        launches[str(enrollment.course_id)] = {"e": enrollment.id, "r": str(enrollment.role)}
        session["launches"] = launches
    return client
