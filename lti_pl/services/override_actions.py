"""Setting and releasing a teacher's override: each recomputes the pair and is audited.

Recomputing like an assessment does means the record, the data wall and the gradebook (a
FullyGraded score through the outbox) follow in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from lti_pl.domain.audit import AuditAction
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.domain.mastery.result import format_points
from lti_pl.domain.overrides import TEACHER, validate_override
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.teaching import MasteryOverride
from lti_pl.services import audit, mastery, overrides
from lti_pl.services.courses import course_scale
from lti_pl.services.enrollments import student_in_course
from lti_pl.services.targets import target_in_course

logger = logging.getLogger(__name__)


def _teacher(actor: Enrollment) -> None:
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers can set a level by hand.")


def _student(actor: Enrollment, student_id: int) -> Enrollment:
    return student_in_course(actor.course_id, student_id)


def set_override(
    actor: Enrollment,
    student_id: int,
    target_id: int,
    *,
    points: str | float,
    reason: str,
    now: datetime,
) -> MasteryOverride:
    """Set a student's level on a target by hand, replacing an earlier override.

    Raises:
        NotAllowedError: the actor is not a teacher.
        NotFoundError: the student or target is not in the actor's course.
        InvalidInputError: field "points" or "reason".
    """
    _teacher(actor)
    student = _student(actor, student_id)
    target = target_in_course(actor.course_id, target_id)
    try:
        value = float(points)
    except (TypeError, ValueError):
        raise InvalidInputError("Choose one of the scale's levels.", field="points") from None
    value, cleaned = validate_override(value, reason, course_scale(actor.course))
    previous = overrides.active_override(student.id, target.id)
    if previous is not None:
        previous.released_at = now
        previous.released_by_id = actor.id
        previous.release_cause = TEACHER
    row = MasteryOverride(
        course_id=actor.course_id,
        enrollment_id=student.id,
        target_id=target.id,
        points=value,
        reason=cleaned,
        set_by_id=actor.id,
        set_at=now,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor.course_id,
        actor.id,
        AuditAction.OVERRIDE,
        student_id=student.id,
        target_id=target.id,
        detail=f"level set to {format_points(value)}",
        reason=cleaned,
        now=now,
    )
    mastery.recompute(student.id, target.id, now=now, assessed=True)
    logger.info("override set override=%s target=%s", row.id, target.id)
    return row


def release_override(
    actor: Enrollment, student_id: int, target_id: int, *, now: datetime
) -> MasteryOverride:
    """Release the override: the calculated level holds again (and goes to the gradebook).

    Raises:
        NotFoundError: no override holds for this student and target.
    """
    _teacher(actor)
    student = _student(actor, student_id)
    target = target_in_course(actor.course_id, target_id)
    row = overrides.active_override(student.id, target.id)
    if row is None:
        raise NotFoundError("No level set by hand holds for this student on this target.")
    overrides.release(row, actor_id=actor.id, cause=TEACHER, now=now)
    db.session.flush()
    mastery.recompute(student.id, target.id, now=now, assessed=True)
    return row
