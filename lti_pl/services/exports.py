"""CSV exports (data wall, evidence, grade audit trail); the per-student report (data binder)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from lti_pl.domain.profiles import SelfAssessment
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import Assessment, Evidence, MasteryRecord
from lti_pl.models.profiles import Goal
from lti_pl.models.targets import LearningTarget
from lti_pl.models.teaching import MasteryOverride
from lti_pl.services import audit
from lti_pl.services.data_wall import build_wall
from lti_pl.services.goals import list_goals
from lti_pl.services.level_history import (
    LevelChart,
    LevelStep,
    level_chart,
    level_history,
    record_method,
)
from lti_pl.services.overrides import history as override_history
from lti_pl.services.profiles import profile_row, self_assessments
from lti_pl.services.relearning import RelearningEntry
from lti_pl.services.relearning import history as relearning_history
from lti_pl.services.targets import list_targets
from lti_pl.services.wall_cells import scale_of

#: What a course without a calculation method uses (as services.courses does).
DEFAULT_METHOD = "decaying_average"

DATA_WALL_COLUMNS = (
    "enrollment_id",
    "student",
    "section",
    "target_id",
    "target",
    "score",
    "level_points",
    "level",
    "mastered",
    "status",
    "evidence_count",
)
EVIDENCE_COLUMNS = (
    "evidence_id",
    "enrollment_id",
    "student",
    "target_id",
    "target",
    "kind",
    "text",
    "url",
    "filename",
    "submitted_at",
)


AUDIT_COLUMNS = (
    "entry_id",
    "at_utc",
    "action",
    "by_enrollment_id",
    "by",
    "student_enrollment_id",
    "student",
    "target_id",
    "target",
    "detail",
    "reason",
)


def csv_safe(value: object) -> str:
    """A cell value that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return buffer.getvalue()


def data_wall_csv(course: Course) -> str:
    """One row per student and target, as on the data wall (status = mastered / not_yet / ...)."""
    wall = build_wall(course)
    rows = []
    for row in wall.rows:
        for target, cell in zip(wall.targets, row.cells, strict=True):
            rows.append(
                (
                    row.enrollment_id,
                    row.name,
                    row.section,
                    target.id,
                    target.statement,
                    "" if cell.score is None else cell.score,
                    "" if cell.level_points is None else cell.level_points,
                    cell.label,
                    "yes" if cell.status.value == "mastered" else "no",
                    cell.status.value,
                    cell.evidence_count,
                )
            )
    return _csv(DATA_WALL_COLUMNS, rows)


def evidence_csv(course: Course) -> str:
    """Every piece of evidence in the course, oldest first.

    The evidence is read as columns, names and statements once each: a term holds tens of
    thousands of pieces, and a whole evidence, enrollment, person and target row for each took
    seconds (46,000 pieces: 3.7 s).
    """
    names = {
        enrollment_id: person.display_name
        for enrollment_id, person in db.session.execute(
            select(Enrollment.id, Person)
            .join(Person, Person.id == Enrollment.person_id)
            .where(Enrollment.course_id == course.id)
        ).tuples()
    }
    statements = dict(
        db.session.execute(
            select(LearningTarget.id, LearningTarget.statement).where(
                LearningTarget.course_id == course.id
            )
        )
        .tuples()
        .all()
    )
    query = (
        select(
            Evidence.id,
            Evidence.enrollment_id,
            Evidence.target_id,
            Evidence.kind,
            Evidence.text,
            Evidence.url,
            Evidence.filename,
            Evidence.submitted_at,
        )
        .where(Evidence.course_id == course.id)
        .order_by(Evidence.submitted_at, Evidence.id)
    )
    rows = (
        (
            evidence_id,
            enrollment_id,
            names.get(enrollment_id, ""),
            target_id,
            statements.get(target_id, ""),
            kind,
            text,
            url,
            filename,
            submitted_at.isoformat(),
        )
        for evidence_id, enrollment_id, target_id, kind, text, url, filename, submitted_at in (
            db.session.execute(query).tuples()
        )
    )
    return _csv(EVIDENCE_COLUMNS, rows)


def audit_csv(actor: Enrollment) -> str:
    """The course's whole grade audit trail, oldest first (the page shows 100 at a time).

    Raises:
        NotAllowedError: the actor is not a teacher.
    """
    rows = (
        (
            row.entry.id,
            row.entry.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            row.action,
            row.entry.actor_id or "",
            row.actor,
            row.entry.student_id or "",
            row.student,
            row.entry.target_id or "",
            row.target,
            row.entry.detail,
            row.entry.reason,
        )
        for row in reversed(audit.course_trail(actor, limit=None))
    )
    return _csv(AUDIT_COLUMNS, rows)


@dataclass(frozen=True)
class TargetReport:
    """One target in a student's report."""

    target: LearningTarget
    record: MasteryRecord | None
    level_label: str
    level_color: str
    self_assessment: SelfAssessment | None
    assessments: tuple[Assessment, ...]
    evidence: tuple[Evidence, ...]
    chart: LevelChart
    steps: tuple[LevelStep, ...] = ()
    # What the student logged to relearn, and the levels the teacher set by hand, newest first.
    relearning: tuple[RelearningEntry, ...] = ()
    overrides: tuple[MasteryOverride, ...] = ()


@dataclass(frozen=True)
class StudentReport:
    """A student's data binder: profile, mastery per target with history, evidence and goals."""

    student: Enrollment
    interests: tuple[str, ...]
    modalities: tuple[str, ...]
    targets: tuple[TargetReport, ...]
    goals: tuple[Goal, ...]
    scale: MasteryScale | None = None  # the course's scale, for levels set by the teacher


def student_report(student: Enrollment) -> StudentReport:
    """Everything a student's data binder shows (the caller checked who may read it)."""
    scale = scale_of(student.course)
    targets = list_targets(student.course_id)
    records = {
        r.target_id: r
        for r in db.session.scalars(
            select(MasteryRecord).where(MasteryRecord.enrollment_id == student.id)
        )
    }
    assessments: dict[int, list[Assessment]] = {}
    for a in db.session.scalars(
        select(Assessment)
        .where(Assessment.enrollment_id == student.id)
        .order_by(Assessment.assessed_at, Assessment.id)
    ):
        assessments.setdefault(a.target_id, []).append(a)
    evidence: dict[int, list[Evidence]] = {}
    for e in db.session.scalars(
        select(Evidence)
        .where(Evidence.enrollment_id == student.id)
        .order_by(Evidence.submitted_at, Evidence.id)
    ):
        evidence.setdefault(e.target_id, []).append(e)
    ratings = self_assessments(student.id)
    logged = relearning_history(
        student.id, last_assessed={t: a[-1].assessed_at for t, a in assessments.items()}
    )
    set_by_hand: dict[int, list[MasteryOverride]] = {}
    for row in override_history(student.id):
        set_by_hand.setdefault(row.target_id, []).append(row)
    reports = []
    for target in targets:
        record = records.get(target.id)
        has_level = record is not None and record.score is not None
        level = (
            scale.level_for(record.score)
            if has_level and record and record.score is not None
            else None
        )
        method, params = record_method(record, student.course.calculation_method or DEFAULT_METHOD)
        steps = level_history(assessments.get(target.id, []), scale, method, params)
        reports.append(
            TargetReport(
                target=target,
                record=record,
                level_label=(record.label if record and record.label else level.label)
                if level
                else "No evidence yet",
                level_color=level.color if level else "",
                self_assessment=ratings.get(target.id),
                assessments=tuple(assessments.get(target.id, [])),
                evidence=tuple(evidence.get(target.id, [])),
                chart=level_chart(steps, scale, target.statement),
                steps=steps,
                relearning=tuple(logged.get(target.id, [])),
                overrides=tuple(set_by_hand.get(target.id, [])),
            )
        )
    profile = profile_row(student.id)
    return StudentReport(
        student=student,
        interests=tuple(profile.interests) if profile else (),
        modalities=tuple(profile.modalities) if profile else (),
        targets=tuple(reports),
        goals=tuple(list_goals(student.id)),
        scale=scale,
    )
