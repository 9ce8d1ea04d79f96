"""Standards access (settings, admin, programme), a student's history and prior levels."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from lti_pl.domain.errors import NotAllowedError
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import Assessment, MasteryRecord
from lti_pl.models.platforms import Platform
from lti_pl.models.standards import StandardItem, StandardsFramework, StandardsSettings
from lti_pl.models.targets import LearningTarget
from lti_pl.services import targets as target_service
from lti_pl.services.courses import course_scale

ADMIN_ROLE = "Administrator"


def course_issuer(course: Course) -> str:
    """The issuer whose frameworks a course shares."""
    return course.platform.issuer


def settings_for(issuer: str) -> StandardsSettings:
    """The issuer's standards settings (defaults, not stored, until an admin saves them)."""
    row = db.session.scalar(select(StandardsSettings).where(StandardsSettings.issuer == issuer))
    return row or StandardsSettings(issuer=issuer, share_prior_levels=False, programme_roles=[])


def _role_names(enrollment: Enrollment) -> set[str]:
    names = set()
    for role in enrollment.lti_roles or ():
        if isinstance(role, str):
            names.add(role.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
    return names


def is_platform_admin(enrollment: Enrollment) -> bool:
    """Whether the launch carried an LTI Administrator role (context, institution or system)."""
    return ADMIN_ROLE in _role_names(enrollment)


def can_see_programme(enrollment: Enrollment) -> bool:
    """LTI Administrators, and the roles the platform's admin named (e.g. a department head)."""
    if is_platform_admin(enrollment):
        return True
    allowed = set(settings_for(course_issuer(enrollment.course)).programme_roles or ())
    return bool(allowed & _role_names(enrollment))


@dataclass(frozen=True)
class HistoryPoint:
    """One assessment on a standard, with the course it came from."""

    assessed_at: datetime
    score: float
    label: str
    is_mastery: bool
    course_title: str
    course_id: int


@dataclass
class StandardHistory:
    """A student's history on one standard across their courses on the platform."""

    identifier: str
    code: str
    statement: str
    points: list[HistoryPoint] = field(default_factory=list)
    courses: list[str] = field(default_factory=list)
    latest_label: str = ""


def _items_by_identifier(issuer: str, identifiers: Iterable[str]) -> dict[str, StandardItem]:
    wanted = list(set(identifiers))
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(StandardItem)
        .join(StandardsFramework)
        .where(StandardsFramework.issuer == issuer, StandardItem.identifier.in_(wanted))
    )
    return {row.identifier: row for row in rows}


def _level_label(scale: MasteryScale, score: float) -> str:
    return scale.level_for(score).label


def student_history(student: Enrollment) -> list[StandardHistory]:
    """The student's standards (linked targets) across every course of the platform.

    Oldest assessment first, each point with its course. Only levels and dates: no evidence
    text, reflections or files of any course.
    """
    enrollments = list(
        db.session.scalars(
            select(Enrollment).where(
                Enrollment.person_id == student.person_id,
                Enrollment.role == CourseRole.STUDENT.value,
            )
        )
    )
    by_id = {e.id: e for e in enrollments}
    rows = db.session.execute(
        select(Assessment, LearningTarget)
        .join(LearningTarget, LearningTarget.id == Assessment.target_id)
        .where(Assessment.enrollment_id.in_(list(by_id)), LearningTarget.case_guid != "")
        .order_by(Assessment.assessed_at, Assessment.id)
    ).all()
    issuer = student.person.issuer
    items = _items_by_identifier(issuer, (t.case_guid for _, t in rows))
    scales: dict[int, MasteryScale] = {}
    histories: dict[str, StandardHistory] = {}
    for assessment, target in rows:
        course = by_id[assessment.enrollment_id].course
        scale = scales.setdefault(course.id, course_scale(course))
        item = items.get(target.case_guid)
        history = histories.setdefault(
            target.case_guid,
            StandardHistory(
                target.case_guid,
                item.code if item else target.standard_code,
                item.statement if item else target.statement,
            ),
        )
        label = _level_label(scale, assessment.score)
        history.points.append(
            HistoryPoint(
                assessment.assessed_at,
                assessment.score,
                label,
                assessment.score >= scale.mastery_points,
                course.title or course.label or f"Course {course.id}",
                course.id,
            )
        )
        if history.points[-1].course_title not in history.courses:
            history.courses.append(history.points[-1].course_title)
        history.latest_label = label
    return sorted(histories.values(), key=lambda h: (h.code or h.statement).casefold())


@dataclass(frozen=True)
class PriorLevel:
    """A student's level on a standard in an earlier course (level and date only)."""

    target_id: int
    label: str
    color: str
    updated_at: datetime
    course_title: str


def prior_levels(student: Enrollment) -> dict[int, PriorLevel]:
    """For each linked target of the course, the student's latest level in earlier courses.

    Empty unless the platform's admin shares prior levels.
    """
    found = course_prior_levels(
        student.course, [student.id], target_service.list_targets(student.course_id)
    )
    return {target_id: prior for (_, target_id), prior in found.items()}


def course_prior_levels_by_id(
    course_id: int, enrollment_ids: Sequence[int], targets: Sequence[LearningTarget]
) -> dict[tuple[int, int], PriorLevel]:
    """course_prior_levels for a course by id (the wall's page knows its course's id)."""
    course = db.session.get(Course, course_id)  # no query: the wall's view read the course
    return course_prior_levels(course, enrollment_ids, targets) if course else {}


def course_prior_levels(
    course: Course, enrollment_ids: Sequence[int], targets: Sequence[LearningTarget]
) -> dict[tuple[int, int], PriorLevel]:
    """(enrollment id, target id) -> the student's latest level in the platform's other courses.

    For the data wall's page of students: one query for all of them (and one for the settings),
    never one per cell. Only targets with a CASE link count; only the level, its colour, its date
    and the course's title leave the other course (no evidence, reflection or file). Empty
    unless the platform's admin shares prior levels.
    """
    guids: dict[str, list[int]] = {}
    for target in targets:
        if target.case_guid:
            guids.setdefault(target.case_guid, []).append(target.id)
    if not guids or not enrollment_ids:
        return {}
    if not settings_for(course_issuer(course)).share_prior_levels:
        return {}
    here = aliased(Enrollment)
    there = aliased(Enrollment)
    rows = db.session.execute(
        select(
            here.id,
            LearningTarget.case_guid,
            MasteryRecord.label,
            MasteryRecord.color,
            MasteryRecord.updated_at,
            Course.title,
            Course.label,
            Course.id,
        )
        .select_from(MasteryRecord)
        .join(LearningTarget, LearningTarget.id == MasteryRecord.target_id)
        .join(there, there.id == MasteryRecord.enrollment_id)
        .join(Course, Course.id == there.course_id)
        .join(here, here.person_id == there.person_id)
        .where(
            here.course_id == course.id,
            here.id.in_(list(enrollment_ids)),
            there.course_id != course.id,
            LearningTarget.case_guid.in_(list(guids)),
            MasteryRecord.score.is_not(None),
        )
        .order_by(MasteryRecord.updated_at, MasteryRecord.id)
    ).all()
    found: dict[tuple[int, int], PriorLevel] = {}
    for enrollment_id, guid, label, color, updated_at, title, short, other_id in rows:
        for target_id in guids[guid]:  # latest wins
            found[(enrollment_id, target_id)] = PriorLevel(
                target_id, label, color, updated_at, title or short or f"Course {other_id}"
            )
    return found


@dataclass(frozen=True)
class ProgrammeCell:
    """A student's latest level on a standard, and where it was set."""

    label: str
    color: str
    course_title: str
    updated_at: datetime


@dataclass(frozen=True)
class Programme:
    """Standards × students across the platform's courses."""

    standards: list[tuple[str, str, str]]  # (identifier, code, statement)
    students: list[tuple[int, str]]  # (person id, name)
    cells: dict[tuple[int, str], ProgrammeCell]


def programme(actor: Enrollment) -> Programme:
    """The programme view: every linked standard × every student of the platform's courses.

    Raises:
        NotAllowedError: the actor is neither an LTI Administrator nor in a configured role.
    """
    if not can_see_programme(actor):
        raise NotAllowedError(
            "The programme view is for your LMS's administrators and the roles they name."
        )
    issuer = course_issuer(actor.course)
    rows = db.session.execute(
        select(MasteryRecord, LearningTarget, Person, Course)
        .join(LearningTarget, LearningTarget.id == MasteryRecord.target_id)
        .join(Enrollment, Enrollment.id == MasteryRecord.enrollment_id)
        .join(Person, Person.id == Enrollment.person_id)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Platform, Platform.id == Course.platform_id)
        .where(
            Platform.issuer == issuer,
            LearningTarget.case_guid != "",
            MasteryRecord.score.is_not(None),
        )
        .order_by(MasteryRecord.updated_at)
    ).all()
    items = _items_by_identifier(issuer, (t.case_guid for _, t, _, _ in rows))
    standards: dict[str, tuple[str, str, str]] = {}
    students: dict[int, str] = {}
    cells: dict[tuple[int, str], ProgrammeCell] = {}
    for record, target, person, course in rows:
        item = items.get(target.case_guid)
        standards.setdefault(
            target.case_guid,
            (
                target.case_guid,
                item.code if item else target.standard_code,
                item.statement if item else target.statement,
            ),
        )
        students[person.id] = person.display_name
        cells[(person.id, target.case_guid)] = ProgrammeCell(
            record.label, record.color, course.title or f"Course {course.id}", record.updated_at
        )
    return Programme(
        sorted(standards.values(), key=lambda s: (s[1] or s[2]).casefold()),
        sorted(students.items(), key=lambda s: (s[1].casefold(), s[0])),
        cells,
    )


def programme_csv(view: Programme) -> str:
    """The programme view as CSV: one row per student, one column per standard."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", *(code or statement[:60] for _, code, statement in view.standards)])
    for person_id, name in view.students:
        row = [name]
        for identifier, _, _ in view.standards:
            cell = view.cells.get((person_id, identifier))
            row.append(
                f"{cell.label} ({cell.course_title}, {cell.updated_at:%Y-%m-%d})" if cell else ""
            )
        writer.writerow([_csv_safe(value) for value in row])
    return out.getvalue()


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheets.
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
