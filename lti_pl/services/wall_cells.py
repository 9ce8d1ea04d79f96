"""Data wall cells: a record's status and cell, and one cell in detail (evidence, assessments)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import select

from lti_pl.domain.mastery import CALCULATION_METHODS, teacher_explanation
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.evidence import Assessment, Evidence, MasteryRecord
from lti_pl.models.targets import LearningTarget
from lti_pl.services.courses import course_scale
from lti_pl.services.enrollments import student_in_course
from lti_pl.services.targets import target_in_course


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


class WallCell(NamedTuple):
    """One student on one target (a named tuple: a wall has 12,000 of them, made cheaply).

    Attributes:
        target_id: the target.
        score: the engine's score, or None without evidence.
        level_points: the level reached, or None.
        label: the level's label ("Near Mastery"), or "No evidence".
        color: the level's colour, or "" without evidence.
        status: mastered, not yet or no evidence.
        is_ready: the student asked to be assessed and the request is pending.
        evidence_count: pieces of evidence submitted.
        band: mastered, near (the level just below mastery), below, or none (not assessed).
        level_index: the level's place on the scale (0 = highest), -1 without evidence.
    """

    target_id: int
    score: float | None
    level_points: float | None
    label: str
    color: str
    status: CellStatus
    is_ready: bool
    evidence_count: int
    band: str = "none"
    level_index: int = -1

    def matches(self, status: CellStatus) -> bool:
        """Whether the cell counts for a status filter."""
        return self.is_ready if status is CellStatus.READY else self.status is status


class _CellMaker:
    """Cells from record columns, with the scale lookups done once per distinct level."""

    def __init__(self, scale: MasteryScale) -> None:
        self.scale = scale
        below = [lv.points for lv in scale.levels if lv.points < scale.mastery_points]
        self.near_points = max(below) if below else None
        self._levels: dict[float, tuple[int, float, str, str]] = {}

    def level(self, points: float) -> tuple[int, float, str, str]:
        """(index, points, label, colour) of the level a score reaches."""
        found = self._levels.get(points)
        if found is None:
            level = self.scale.level_for(points)
            found = (self.scale.levels.index(level), level.points, level.label, level.color)
            self._levels[points] = found
        return found

    def __call__(
        self,
        record: tuple[float | None, float | None, str, bool] | None,
        target_id: int,
        is_ready: bool,
        evidence_count: int,
    ) -> WallCell:
        if record is None or record[0] is None:
            return WallCell(
                target_id,
                None,
                None,
                "Not assessed yet" if evidence_count else "No evidence",
                "",
                CellStatus.NO_EVIDENCE,
                is_ready,
                evidence_count,
            )
        score, level_points, label, mastered = record
        index, points, level_label, color = self.level(
            level_points if level_points is not None else score
        )
        if mastered:
            band = "mastered"
        elif self.near_points is not None and points >= self.near_points:
            band = "near"
        else:
            band = "below"
        return WallCell(
            target_id=target_id,
            score=score,
            level_points=points,
            label=label or level_label,
            color=color,
            status=CellStatus.MASTERED if mastered else CellStatus.NOT_YET,
            is_ready=is_ready,
            evidence_count=evidence_count,
            band=band,
            level_index=index,
        )


def _cell(
    record: MasteryRecord | None,
    target_id: int,
    scale: MasteryScale,
    *,
    is_ready: bool,
    evidence_count: int,
) -> WallCell:
    values = (
        None
        if record is None
        else (record.score, record.level_points, record.label, record.is_mastered)
    )
    return _CellMaker(scale)(values, target_id, is_ready=is_ready, evidence_count=evidence_count)


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
    if record is not None and record.method in CALCULATION_METHODS:
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
