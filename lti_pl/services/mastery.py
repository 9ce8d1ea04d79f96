"""Recompute mastery (one student × target, or a whole course at once) and send grades.

Recompute is incremental: an assessment changes one student's record on one target, so only
that pair is recomputed. `course_recompute.recompute_course` does the same for every pair with
one query for the course's assessments and one upsert pass (after a settings change, or for the
benchmark).

Grades a change affects are queued by `services.grade_passback`, in the same transaction as
the mastery change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import func, select

from lti_pl.domain.errors import NotFoundError
from lti_pl.domain.evidence_order import work_date
from lti_pl.domain.mastery import MasteryResult, Observation, calculate
from lti_pl.domain.mastery.result import BKT_METHOD
from lti_pl.domain.targets import GradeConversion, MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import Assessment, MasteryRecord
from lti_pl.models.targets import LearningTarget
from lti_pl.services import grade_passback, overrides, release_rules
from lti_pl.services.courses import course_policy

logger = logging.getLogger(__name__)


def result_grade(
    result: MasteryResult, scale: MasteryScale, conversion: GradeConversion
) -> float | None:
    """The percentage grade of a result; None without evidence.

    BKT's score is a probability, not a point on the scale, so its level's points convert.
    """
    if result.score is None or result.level is None:
        return None
    points = result.level.points if result.method == BKT_METHOD else result.score
    return conversion.grade(points, scale)


def _apply(
    record: MasteryRecord,
    result: MasteryResult,
    grade: float | None,
    count: int,
    params: Mapping[str, float],
    now: datetime,
) -> None:
    record.method = result.method
    record.score = result.score
    record.level_points = result.level.points if result.level else None
    record.label = result.level.label if result.level else ""
    record.color = result.level.color if result.level else ""
    record.is_mastered = result.mastered
    record.next_score_to_master = result.next_score_to_master
    record.explanation = result.explanation
    record.probability = result.probability
    record.evidence_count = count
    record.grade = grade
    record.details = {"params": dict(params)}
    record.updated_at = now


def _observations(assessments: Iterable[Assessment]) -> list[Observation]:
    # Ordered by when the work was done (domain/evidence_order.py), not when it was graded.
    return [Observation(a.score, work_date(a.work_done_at, a.assessed_at)) for a in assessments]


#: The order of a pair's scores: the work's date, else the assessment's; ties by id.
WORK_ORDER = (func.coalesce(Assessment.work_done_at, Assessment.assessed_at), Assessment.id)


def _pair(enrollment_id: int, target_id: int) -> tuple[Enrollment, LearningTarget]:
    enrollment = db.session.get(Enrollment, enrollment_id)
    target = db.session.get(LearningTarget, target_id)
    if enrollment is None or target is None or enrollment.course_id != target.course_id:
        raise NotFoundError("That student or target is not in this course.")
    return enrollment, target


def recompute(
    enrollment_id: int, target_id: int, *, now: datetime, assessed: bool = False
) -> MasteryRecord:
    """Recompute one student's mastery of one target and queue grades if the grade changed.

    Args:
        enrollment_id: the student.
        target_id: the target (in the student's course).
        now: the current time.
        assessed: a teacher just assessed this pair; scores are queued as FullyGraded even when
            the grade did not change (the gradebook may still show Pending).

    Returns:
        The upserted MasteryRecord.

    Raises:
        NotFoundError: the enrollment and target are not in one course.
    """
    enrollment, target = _pair(enrollment_id, target_id)
    course = enrollment.course
    policy = course_policy(course)
    scale, conversion = policy.scale, policy.conversion
    method, params = policy.target_method(target)
    assessments = db.session.scalars(
        select(Assessment)
        .where(Assessment.enrollment_id == enrollment_id, Assessment.target_id == target_id)
        .order_by(*WORK_ORDER)
    ).all()
    result, override = overrides.applied(
        calculate(method, _observations(assessments), scale, params),
        enrollment_id,
        target_id,
        scale,
    )
    record = db.session.scalars(
        select(MasteryRecord).where(
            MasteryRecord.enrollment_id == enrollment_id, MasteryRecord.target_id == target_id
        )
    ).first()
    previous_grade = record.grade if record is not None else None
    previous_points = record.level_points if record is not None else None
    if record is None:
        record = MasteryRecord(
            course_id=course.id, enrollment_id=enrollment_id, target_id=target_id
        )
        db.session.add(record)
    grade = result_grade(result, scale, conversion)
    _apply(record, result, grade, len(assessments), params, now)
    if override is not None:
        record.details = {**record.details, "override": override.points}
    db.session.flush()
    # Mastery-based release: a new level may assign activities (services/release_rules.py).
    release_rules.on_level_change(
        enrollment, target_id, previous_points, record.level_points, now=now
    )
    if grade is not None and (assessed or grade != previous_grade):
        line_items = grade_passback.line_items_for(course.id, target_id)
        grade_passback.send_grades(course, enrollment, [(target, record)], line_items, now=now)
    logger.info("recomputed enrollment=%s target=%s method=%s", enrollment_id, target_id, method)
    return record


def records_for(enrollment_id: int) -> dict[int, MasteryRecord]:
    """A student's mastery records by target id."""
    return {
        r.target_id: r
        for r in db.session.scalars(
            select(MasteryRecord).where(MasteryRecord.enrollment_id == enrollment_id)
        )
    }
