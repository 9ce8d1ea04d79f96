"""The teacher's choice of how aggregate grades count targets (assessed only, or all)."""

from __future__ import annotations

from datetime import datetime

from lti_pl.domain.aggregates import AggregateMode
from lti_pl.domain.audit import AuditAction
from lti_pl.domain.errors import InvalidInputError, NotAllowedError
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.services import aggregates, audit, grade_passback, line_items


def set_aggregate_mode(actor: Enrollment, mode: str, *, now: datetime) -> int:
    """Choose the course's rule and queue every student's aggregate grades again.

    Returns:
        How many scores were queued.

    Raises:
        NotAllowedError: the actor is not a teacher.
        InvalidInputError: field "aggregate_mode".
    """
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers change how grades are counted.")
    try:
        chosen = AggregateMode(mode)
    except ValueError:
        raise InvalidInputError(
            "Choose assessed targets only or all targets.", field="aggregate_mode"
        ) from None
    course = actor.course
    if aggregates.aggregate_mode(course) is chosen:
        return 0
    course.aggregate_mode = str(chosen)
    db.session.flush()
    audit.record(course.id, actor.id, AuditAction.AGGREGATE_MODE, detail=f"now {chosen}", now=now)
    return sum(
        grade_passback.send_current_grades(item, now=now)
        for item in line_items.aggregate_line_items(course.id)
    )
