"""Learning profiles, self-assessments, the structure dial, and who may read whose work."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain.errors import InvalidInputError, NotAllowedError
from lti_pl.domain.profiles import (
    SelfAssessment,
    StructureDial,
    normalize_interests,
    parse_modalities,
)
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Enrollment, ObserverLink
from lti_pl.models.profiles import LearningProfile, SelfAssessmentEntry
from lti_pl.services.enrollments import course_students, student_in_course
from lti_pl.services.targets import target_in_course

logger = logging.getLogger(__name__)


def readable_student(actor: Enrollment, student_enrollment_id: int) -> Enrollment:
    """The student whose work the actor may read: themself, a teacher's student, an observee.

    Raises:
        NotFoundError: the student is not in the actor's course.
        NotAllowedError: a student asking for someone else, or an observer without a link.
    """
    student = student_in_course(actor.course_id, student_enrollment_id)
    role = CourseRole(actor.role)
    if role is CourseRole.TEACHER:
        return student
    if role is CourseRole.STUDENT and actor.id == student.id:
        return student
    if role is CourseRole.OBSERVER and observes(actor, student.id):
        return student
    raise NotAllowedError("You can only see your own work.")


def observes(observer: Enrollment, student_enrollment_id: int) -> bool:
    """Whether the observer is linked to the student."""
    return (
        db.session.scalars(
            select(ObserverLink.id).where(
                ObserverLink.observer_id == observer.id,
                ObserverLink.student_id == student_enrollment_id,
            )
        ).first()
        is not None
    )


def observed_students(observer: Enrollment) -> list[Enrollment]:
    """The students an observer is linked to, by name."""
    students = list(
        db.session.scalars(
            select(Enrollment)
            .join(ObserverLink, ObserverLink.student_id == Enrollment.id)
            .where(
                ObserverLink.observer_id == observer.id,
                Enrollment.course_id == observer.course_id,
            )
        )
    )
    return sorted(students, key=lambda e: (e.person.display_name.casefold(), e.id))


def dial_for(enrollment: Enrollment) -> StructureDial:
    """The student's structure dial: their own setting, or the course default."""
    value = enrollment.structure or enrollment.course.default_structure or "guided"
    try:
        return StructureDial(value)
    except ValueError:
        return StructureDial.GUIDED


def set_structure(
    actor: Enrollment, enrollment_ids: Iterable[int], structure: str
) -> list[Enrollment]:
    """Set the structure dial of several students at once ("" = the course default).

    Raises:
        InvalidInputError: an unknown dial value, or no students chosen.
        NotFoundError: a student not in the actor's course.
    """
    value: str | None = structure.strip() or None
    if value is not None and value not in {d.value for d in StructureDial}:
        raise InvalidInputError("Choose free, guided, assigned or the course default.", "structure")
    ids = sorted(set(enrollment_ids))
    if not ids:
        raise InvalidInputError("Tick at least one student.", field="enrollment_ids")
    students = [student_in_course(actor.course_id, i) for i in ids]
    for student in students:
        student.structure = value
    db.session.flush()
    logger.info("structure set course=%s students=%s", actor.course_id, len(students))
    return students


def profile_row(enrollment_id: int) -> LearningProfile | None:
    """The stored profile of a student, if they saved one."""
    return db.session.scalars(
        select(LearningProfile).where(LearningProfile.enrollment_id == enrollment_id)
    ).first()


def self_assessments(enrollment_id: int) -> dict[int, SelfAssessment]:
    """Target id -> the student's own rating."""
    rows = db.session.scalars(
        select(SelfAssessmentEntry).where(SelfAssessmentEntry.enrollment_id == enrollment_id)
    )
    return {row.target_id: SelfAssessment(row.rating) for row in rows}


@dataclass(frozen=True)
class ProfileInput:
    """The profile form as typed.

    Attributes:
        interests: comma-separated interests.
        modalities: ticked modality values.
        ratings: target id -> rating value ("" = no rating).
    """

    interests: str
    modalities: tuple[str, ...]
    ratings: Mapping[int, str]


def save_profile(student: Enrollment, form: ProfileInput, *, now: datetime) -> LearningProfile:
    """Save a student's interests, preferred modalities and self-assessments.

    Raises:
        InvalidInputError: an interest list, modality or rating that breaks a rule.
        NotFoundError: a rating for a target not in the course.
    """
    interests = normalize_interests(form.interests)
    modalities = parse_modalities(form.modalities)
    ratings: dict[int, SelfAssessment] = {}
    for target_id, value in form.ratings.items():
        if not value:
            continue
        target_in_course(student.course_id, target_id)
        try:
            ratings[target_id] = SelfAssessment(value)
        except ValueError:
            raise InvalidInputError("Choose one of the four ratings.", field="ratings") from None
    row = profile_row(student.id)
    if row is None:
        row = LearningProfile(enrollment_id=student.id)
        db.session.add(row)
    row.interests = sorted(interests)
    row.modalities = sorted(m.value for m in modalities)
    row.updated_at = now
    existing = {
        e.target_id: e
        for e in db.session.scalars(
            select(SelfAssessmentEntry).where(SelfAssessmentEntry.enrollment_id == student.id)
        )
    }
    for target_id, rating in ratings.items():
        entry = existing.get(target_id)
        if entry is None:
            db.session.add(
                SelfAssessmentEntry(
                    enrollment_id=student.id, target_id=target_id, rating=rating, updated_at=now
                )
            )
        elif entry.rating != rating.value:
            entry.rating = rating.value
            entry.updated_at = now
    db.session.flush()
    logger.info("profile saved enrollment=%s", student.id)
    return row


@dataclass(frozen=True)
class ClassProfileRow:
    """One student on the class profiles page."""

    student: Enrollment
    interests: tuple[str, ...]
    modalities: tuple[str, ...]
    dial: StructureDial


def class_profiles(course_id: int) -> list[ClassProfileRow]:
    """Every student's profile, by name (two queries)."""
    students = course_students(course_id)
    rows = {
        p.enrollment_id: p
        for p in db.session.scalars(
            select(LearningProfile).where(
                LearningProfile.enrollment_id.in_([s.id for s in students])
            )
        )
    }
    return [
        ClassProfileRow(
            student=s,
            interests=tuple(rows[s.id].interests) if s.id in rows else (),
            modalities=tuple(rows[s.id].modalities) if s.id in rows else (),
            dial=dial_for(s),
        )
        for s in students
    ]
