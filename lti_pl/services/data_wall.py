"""The data wall: every student's current mastery on every target, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import METHODS, teacher_explanation
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.evidence import Assessment, Evidence, MasteryRecord, ReassessmentRequest
from lti_pl.models.targets import LearningTarget
from lti_pl.services.courses import course_scale
from lti_pl.services.profiles import (
    course_students,
    course_targets,
    dial_for,
    student_in_course,
    target_in_course,
)


def scale_of(course: Course) -> MasteryScale:
    """The course's mastery scale (the mastery helper's `course_scale`)."""
    return course_scale(course)


class CellStatus(StrEnum):
    """Where a student stands on one target, as the data wall filters it."""

    MASTERED = "mastered"
    NOT_YET = "not_yet"
    NO_EVIDENCE = "no_evidence"
    READY = "ready"

    @property
    def label(self) -> str:
        """Words for the filter and the cell."""
        return {
            "mastered": "Mastered",
            "not_yet": "Not yet",
            "no_evidence": "No evidence",
            "ready": "Ready to assess",
        }[self.value]


@dataclass(frozen=True)
class WallCell:
    """One student on one target.

    Attributes:
        target_id: the target.
        score: the engine's score, or None without evidence.
        level_points: the level reached, or None.
        label: the level's label ("Near Mastery"), or "No evidence".
        color: the level's colour, or "" without evidence.
        status: mastered, not yet or no evidence.
        is_ready: the student asked to be assessed and the request is pending.
        evidence_count: pieces of evidence submitted.
    """

    target_id: int
    score: float | None
    level_points: float | None
    label: str
    color: str
    status: CellStatus
    is_ready: bool
    evidence_count: int

    def matches(self, status: CellStatus) -> bool:
        """Whether the cell counts for a status filter."""
        return self.is_ready if status is CellStatus.READY else self.status is status


@dataclass(frozen=True)
class WallRow:
    """One student's row.

    Attributes:
        enrollment_id: the student.
        name: display name.
        section: LMS section or group.
        structure: the student's dial value.
        cells: one per target, in target order.
    """

    enrollment_id: int
    name: str
    section: str
    structure: str
    cells: tuple[WallCell, ...]


@dataclass(frozen=True)
class DataWall:
    """The whole wall with the filters and sort that made it."""

    targets: tuple[LearningTarget, ...]
    rows: tuple[WallRow, ...]
    sections: tuple[str, ...]
    scale: MasteryScale
    sort: str
    descending: bool
    section: str
    status: CellStatus | None


def build_wall(
    course: Course,
    *,
    sort: str = "student",
    descending: bool = False,
    section: str = "",
    status: str = "",
) -> DataWall:
    """Build the data wall of a course.

    Five queries whatever the size: students, targets, mastery records, evidence counts and
    pending reassessment requests; everything else is joined in memory.

    Args:
        course: the course.
        sort: "student" (by name) or a target id (by level on that target; no evidence lowest).
        descending: reverse the order.
        section: only students of this section ("" = all).
        status: only students with at least one target in this CellStatus ("" = all).

    Raises:
        InvalidInputError: an unknown status or sort.
    """
    try:
        status_filter = CellStatus(status) if status else None
    except ValueError:
        raise InvalidInputError("Choose a status from the list.", field="status") from None
    scale = scale_of(course)
    students = course_students(course.id)
    targets = course_targets(course.id)
    records = {
        (r.enrollment_id, r.target_id): r
        for r in db.session.scalars(
            select(MasteryRecord).where(MasteryRecord.course_id == course.id)
        )
    }
    counts = {
        (e, t): n
        for e, t, n in db.session.execute(
            select(Evidence.enrollment_id, Evidence.target_id, func.count(Evidence.id))
            .where(Evidence.course_id == course.id)
            .group_by(Evidence.enrollment_id, Evidence.target_id)
        )
    }
    ready = set(
        db.session.execute(
            select(ReassessmentRequest.enrollment_id, ReassessmentRequest.target_id).where(
                ReassessmentRequest.course_id == course.id,
                ReassessmentRequest.status == "pending",
            )
        ).tuples()
    )
    sections = tuple(sorted({s.section for s in students if s.section}))
    rows = []
    for student in students:
        if section and student.section != section:
            continue
        cells = tuple(
            _cell(
                records.get((student.id, t.id)),
                t.id,
                scale,
                is_ready=(student.id, t.id) in ready,
                evidence_count=counts.get((student.id, t.id), 0),
            )
            for t in targets
        )
        if status_filter is not None and not any(c.matches(status_filter) for c in cells):
            continue
        rows.append(
            WallRow(
                enrollment_id=student.id,
                name=student.person.display_name,
                section=student.section,
                structure=dial_for(student).value,
                cells=cells,
            )
        )
    rows = _sorted_rows(rows, targets, sort, descending)
    return DataWall(
        targets=tuple(targets),
        rows=tuple(rows),
        sections=sections,
        scale=scale,
        sort=sort,
        descending=descending,
        section=section,
        status=status_filter,
    )


def _cell(
    record: MasteryRecord | None,
    target_id: int,
    scale: MasteryScale,
    *,
    is_ready: bool,
    evidence_count: int,
) -> WallCell:
    if record is None or record.score is None:
        return WallCell(
            target_id,
            None,
            None,
            "No evidence",
            "",
            CellStatus.NO_EVIDENCE,
            is_ready,
            evidence_count,
        )
    points = record.level_points if record.level_points is not None else record.score
    level = scale.level_for(points)
    return WallCell(
        target_id=target_id,
        score=record.score,
        level_points=level.points,
        label=record.label or level.label,
        color=level.color,
        status=CellStatus.MASTERED if record.is_mastered else CellStatus.NOT_YET,
        is_ready=is_ready,
        evidence_count=evidence_count,
    )


def _sorted_rows(
    rows: list[WallRow], targets: Sequence[LearningTarget], sort: str, descending: bool
) -> list[WallRow]:
    if sort in {"", "student"}:
        return sorted(rows, key=lambda r: (r.name.casefold(), r.enrollment_id), reverse=descending)
    index = next((i for i, t in enumerate(targets) if str(t.id) == sort), None)
    if index is None:
        raise InvalidInputError("Sort by a student name or a target on the wall.", field="sort")

    def key(row: WallRow) -> tuple[float, str, int]:
        points = row.cells[index].score
        return (-1.0 if points is None else points, row.name.casefold(), row.enrollment_id)

    ordered = sorted(rows, key=key)
    return list(reversed(ordered)) if descending else ordered


@dataclass(frozen=True)
class CellDetail:
    """A cell opened: the evidence, the assessments and the engine's explanation."""

    student: Enrollment
    target: LearningTarget
    record: MasteryRecord | None
    cell: WallCell
    evidence: tuple[Evidence, ...]
    assessments: tuple[Assessment, ...]
    #: The result explained to the teacher (the record's `explanation` speaks to the student).
    explanation: str = ""


def cell_detail(course: Course, enrollment_id: int, target_id: int) -> CellDetail:
    """The evidence history and mastery explanation of one student on one target.

    Raises:
        NotFoundError: the student or target is not in the course.
    """
    student = student_in_course(course.id, enrollment_id)
    target = target_in_course(course.id, target_id)
    record = db.session.scalars(
        select(MasteryRecord).where(
            MasteryRecord.enrollment_id == student.id, MasteryRecord.target_id == target.id
        )
    ).first()
    evidence = tuple(
        db.session.scalars(
            select(Evidence)
            .where(Evidence.enrollment_id == student.id, Evidence.target_id == target.id)
            .order_by(Evidence.submitted_at, Evidence.id)
        )
    )
    assessments = tuple(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.enrollment_id == student.id, Assessment.target_id == target.id)
            .order_by(Assessment.assessed_at, Assessment.id)
        )
    )
    scale = scale_of(course)
    cell = _cell(record, target.id, scale, is_ready=False, evidence_count=len(evidence))
    explanation = ""
    if record is not None and record.method in METHODS:
        explanation = teacher_explanation(
            record.method,
            (record.details or {}).get("params", {}),
            scale,
            score=record.score,
            label=record.label,
            mastered=record.is_mastered,
            next_score=record.next_score_to_master,
            probability=record.probability if record.method == "bkt" else None,
        )
    return CellDetail(student, target, record, cell, evidence, assessments, explanation)


def mastery_by_target(enrollment_id: int) -> dict[int, MasteryRecord]:
    """A student's mastery records by target id."""
    return {
        r.target_id: r
        for r in db.session.scalars(
            select(MasteryRecord).where(MasteryRecord.enrollment_id == enrollment_id)
        )
    }
