"""The grade outbox: `queue_score()` writes a score in the caller's transaction.

Scores go through the outbox, not straight to AGS: a platform that is down must not roll back the
evidence the student just submitted, and a worker that dies mid-send must not lose a score. The
worker sends them (`services.outbox_delivery.push_pending`).

Ordering rules (Moodle refuses a score whose timestamp is not newer than the last one with 409):
- an entry's `timestamp` is fixed when it is queued, max(now, the whole second after the previous
  entry's timestamp) for the same (line item, enrollment), so timestamps strictly increase per
  pair in whole seconds (Moodle compares seconds: two scores in one second would meet a 409);
- a newer score supersedes an older one that has not been sent yet (status `superseded`);
- at most one entry per (line item, enrollment) is in flight: an entry is not claimed while an
  older one of the same pair is being sent under a live lease.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import aliased

from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.grade_delivery import ActivityProgress, GradingProgress, next_score_time
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.grades import GradeOutboxEntry, LineItem, OutboxStatus

logger = logging.getLogger(__name__)

ACTIVITY_PROGRESS = tuple(ActivityProgress)
GRADING_PROGRESS = tuple(GradingProgress)


def queue_score(
    *,
    course_id: int,
    line_item: LineItem,
    enrollment: Enrollment,
    score_given: float | None,
    score_maximum: float,
    comment: str,
    activity_progress: str,
    grading_progress: str,
    now: datetime,
) -> GradeOutboxEntry:
    """Put a score in the outbox, in the caller's transaction (flush only).

    A newer score for the same (line item, enrollment) supersedes an older unsent one. When the
    latest live entry already carries exactly this score, it is returned and nothing is queued.

    Args:
        course_id: the course; the line item and enrollment must belong to it.
        line_item: where the score goes.
        enrollment: whose score it is (a student of the course).
        score_given: points, or None to send only progress.
        score_maximum: the maximum (> 0).
        comment: a comment shown to the student in the gradebook ("" for none).
        activity_progress: one of ACTIVITY_PROGRESS.
        grading_progress: one of GRADING_PROGRESS.
        now: the current time (timezone-aware UTC).

    Returns:
        The pending entry that will carry this score.

    Raises:
        NotFoundError: line item or enrollment not in the course.
        InvalidInputError: a value AGS would refuse.
    """
    if line_item.course_id != course_id or enrollment.course_id != course_id:
        raise NotFoundError("That gradebook column or student is not in this course.")
    if score_maximum <= 0:
        raise InvalidInputError("The maximum score must be above zero.", field="score_maximum")
    if score_given is not None and score_given < 0:
        raise InvalidInputError("A score cannot be negative.", field="score_given")
    if activity_progress not in ACTIVITY_PROGRESS:
        raise InvalidInputError("Unknown activity progress.", field="activity_progress")
    if grading_progress not in GRADING_PROGRESS:
        raise InvalidInputError("Unknown grading progress.", field="grading_progress")
    db.session.flush()
    pair = (
        GradeOutboxEntry.line_item_id == line_item.id,
        GradeOutboxEntry.enrollment_id == enrollment.id,
    )
    latest = db.session.scalars(
        select(GradeOutboxEntry)
        .where(*pair, GradeOutboxEntry.status != OutboxStatus.SUPERSEDED)
        .order_by(GradeOutboxEntry.timestamp.desc(), GradeOutboxEntry.id.desc())
        .limit(1)
    ).first()
    if (
        latest is not None
        and latest.status in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)
        and latest.score_given == score_given
        and latest.score_maximum == score_maximum
        and latest.comment == comment
        and latest.activity_progress == activity_progress
        and latest.grading_progress == grading_progress
    ):
        return latest
    previous = db.session.scalar(select(func.max(GradeOutboxEntry.timestamp)).where(*pair))
    timestamp = next_score_time(previous, now)
    db.session.execute(
        update(GradeOutboxEntry)
        .where(*pair, GradeOutboxEntry.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SUPERSEDED)
        .execution_options(synchronize_session="fetch")
    )
    entry = GradeOutboxEntry(
        course_id=course_id,
        line_item_id=line_item.id,
        enrollment_id=enrollment.id,
        score_given=score_given,
        score_maximum=score_maximum,
        comment=comment,
        activity_progress=activity_progress,
        grading_progress=grading_progress,
        timestamp=timestamp,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    logger.debug(
        "queued score entry=%s line_item=%s enrollment=%s", entry.id, line_item.id, enrollment.id
    )
    return entry


def newer_score_query(
    line_item_id: object, enrollment_id: object, timestamp: object
) -> Select[tuple[int]]:
    """Ids of live or sent entries of the same pair with a newer timestamp (columns or values)."""
    newer = aliased(GradeOutboxEntry)
    return select(newer.id).where(
        newer.line_item_id == line_item_id,
        newer.enrollment_id == enrollment_id,
        newer.timestamp > timestamp,
        newer.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)),
    )


def has_newer_score(line_item_id: int, enrollment_id: int, timestamp: datetime) -> bool:
    """Whether a newer score of ours for the same column and student exists."""
    query = newer_score_query(line_item_id, enrollment_id, timestamp)
    return db.session.scalar(query.limit(1)) is not None


def next_due_in(course_id: int, now: datetime) -> float | None:
    """Seconds until the course's next pending entry is due (None: nothing waits)."""
    due = db.session.scalar(
        select(func.min(GradeOutboxEntry.next_attempt_at)).where(
            GradeOutboxEntry.course_id == course_id,
            GradeOutboxEntry.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
        )
    )
    if due is None:
        return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=now.tzinfo)
    return max(0.0, (due - now).total_seconds())
