"""The grade outbox: `queue_score()` puts a score in it, `push_pending()` sends it (the worker).

Scores go through the outbox, not straight to AGS: a platform that is down must not roll back the
evidence the student just submitted, and a worker that dies mid-send must not lose a score.
`queue_score` writes in the caller's transaction; `push_pending` claims due entries a batch at a
time (outbox_claims) and sends each batch (outbox_delivery), which decides retries with
`domain.grade_delivery`.

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
import random
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select, update

from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.grade_delivery import (
    DEFAULT_POLICY,
    ActivityProgress,
    GradingProgress,
    RetryPolicy,
    next_score_time,
)
from lti_pl.extensions import db
from lti_pl.lti.ags import ScoreDelivery
from lti_pl.models.courses import Enrollment
from lti_pl.models.grades import GradeOutboxEntry, LineItem, OutboxStatus
from lti_pl.services import outbox_delivery
from lti_pl.services.outbox_claims import claim_batch

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


def push_pending(
    sender: Callable[[ScoreDelivery], None],
    *,
    now: datetime,
    limit: int = 100,
    policy: RetryPolicy = DEFAULT_POLICY,
    rand: Callable[[], float] = random.random,
    course_id: int | None = None,
    batch: int = 10,
) -> outbox_delivery.PushReport:
    """Send due outbox entries a batch at a time (a worker's unit of work).

    Args:
        sender: posts one score (e.g. `lti.ags.AgsSender`); raises `ServiceError` on failure.
            When it has a `prepare(platform_ids)` method, that runs before sending a batch.
        now: the current time; due times, leases and backoff are computed from it.
        limit: at most this many entries in this run.
        policy: backoff, lease and attempt limits.
        rand: a [0, 1) random source for the jitter.
        course_id: only this course's entries (the RQ "push course outbox" job).
        batch: entries claimed per transaction (their lease must outlast sending them all).

    Returns:
        Counts of what happened.
    """
    report = outbox_delivery.PushReport()
    remaining = limit
    while remaining > 0:
        claims = claim_batch(now, policy, course_id, size=min(batch, remaining))
        if not claims:
            break
        remaining -= len(claims)
        try:
            outbox_delivery.push_claimed(
                sender, claims, now=now, policy=policy, rand=rand, report=report
            )
        except Exception:
            # Leave them claimed: the lease expires and they are retried.
            db.session.rollback()
            logger.exception("score push crashed entries=%s", [c[0] for c in claims])
            report.errors.append("internal error")
    return report
