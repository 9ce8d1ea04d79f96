"""The aggregate grade a line item gets for one student, under the course's chosen rule."""

from __future__ import annotations

from sqlalchemy import select

from lti_pl.domain.aggregates import AggregateGrade, AggregateMode, aggregate_grade
from lti_pl.extensions import db
from lti_pl.models.courses import Course
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget
from lti_pl.services import line_items
from lti_pl.services.courses import course_scale, grade_table

#: What the settings page calls each rule.
MODE_LABELS = {
    AggregateMode.ASSESSED: "Assessed targets only (unassessed targets do not count)",
    AggregateMode.ALL: "All targets (an unassessed target counts as the lowest level)",
}


def aggregate_mode(course: Course) -> AggregateMode:
    """The course's rule (assessed only until the teacher chooses)."""
    try:
        return AggregateMode(course.aggregate_mode or AggregateMode.ASSESSED)
    except ValueError:
        return AggregateMode.ASSESSED


def covered_target_ids(course_id: int, line_item: LineItem) -> list[int]:
    """The targets an aggregate line item covers: its list, else the non-archived targets."""
    listed = line_items.aggregate_target_ids(line_item)
    if listed is not None:
        return list(listed)
    return list(
        db.session.scalars(
            select(LearningTarget.id).where(
                LearningTarget.course_id == course_id, LearningTarget.archived_at.is_(None)
            )
        )
    )


def aggregate_for(course: Course, enrollment_id: int, line_item: LineItem) -> AggregateGrade:
    """One student's aggregate grade for a line item (one query for the records)."""
    covered = covered_target_ids(course.id, line_item)
    records = list(
        db.session.scalars(
            select(MasteryRecord).where(
                MasteryRecord.course_id == course.id,
                MasteryRecord.enrollment_id == enrollment_id,
                MasteryRecord.grade.is_not(None),
                MasteryRecord.target_id.in_(covered),
            )
        )
    )
    scale = course_scale(course)
    lowest = scale.levels[-1]
    return aggregate_grade(
        [r.grade for r in records if r.grade is not None],
        mastered=sum(1 for r in records if r.is_mastered),
        unassessed=len(set(covered) - {r.target_id for r in records}),
        mode=aggregate_mode(course),
        lowest_grade=grade_table(course).grade(lowest.points, scale),
        lowest_label=lowest.label,
    )
