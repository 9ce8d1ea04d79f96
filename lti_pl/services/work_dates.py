"""A teacher corrects when the work behind a score was done (see `domain/evidence_order.py`)."""

from __future__ import annotations

from datetime import UTC, datetime

from lti_pl.domain.audit import AuditAction
from lti_pl.domain.errors import InvalidInputError, NotAllowedError
from lti_pl.domain.evidence_order import validate_work_date, work_date
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import Assessment
from lti_pl.services import audit, mastery
from lti_pl.services.lookups import in_course


def parse_day(text: str) -> datetime:
    """A YYYY-MM-DD date from a form, as midnight UTC.

    Raises:
        InvalidInputError: field "work_done_at".
    """
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise InvalidInputError("Give the date as YYYY-MM-DD.", field="work_done_at") from None
    return day.replace(tzinfo=UTC)


def correct_work_date(
    actor: Enrollment, assessment_id: int, day: str, *, now: datetime
) -> Assessment:
    """Set the date the work was done, recompute the level (its order may change), audit it.

    Raises:
        NotAllowedError: the actor is not a teacher.
        NotFoundError: the assessment is not in the actor's course.
        InvalidInputError: field "work_done_at": not a date, after the assessment, or future.
    """
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers correct dates.")
    assessment = in_course(
        Assessment, assessment_id, actor.course_id, "This assessment is not in this course."
    )
    when = validate_work_date(parse_day(day), assessed_at=assessment.assessed_at, now=now)
    before = work_date(assessment.work_done_at, assessment.assessed_at)
    assessment.work_done_at = when
    db.session.flush()
    audit.record(
        actor.course_id,
        actor.id,
        AuditAction.WORK_DATE,
        student_id=assessment.enrollment_id,
        target_id=assessment.target_id,
        detail=f"assessment {assessment.id}: {before:%Y-%m-%d} to {when:%Y-%m-%d}",
        now=now,
    )
    mastery.recompute(assessment.enrollment_id, assessment.target_id, now=now)
    return assessment
