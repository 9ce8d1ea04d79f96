"""The outbox's delivery engine: send a batch of claimed entries and record the outcomes.

`grades.push_pending` claims the batches (outbox_claims) and hands each one to `push_claimed`.

What becomes of a failed attempt (retry, re-stamp, counts as sent, gives up) is decided in
`domain.grade_delivery.decide_failure`; this module reads and writes the entries around it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from lti_pl.domain.grade_delivery import (
    DeliveryFailure,
    EntryState,
    FailureKind,
    RetryPolicy,
    decide_failure,
    next_score_time,
)
from lti_pl.extensions import db
from lti_pl.lti.ags import Score, ScoreDelivery
from lti_pl.lti.service_connector import ServiceError
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.grades import GradeOutboxEntry, LineItem, OutboxStatus
from lti_pl.services.outbox_claims import has_newer_score, newer_score_query

logger = logging.getLogger(__name__)


@dataclass
class PushReport:
    """What one `push_pending` run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    superseded: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        """Entries this run handled."""
        return self.sent + self.retried + self.failed + self.superseded


def _finish(entry_id: int, attempt: int, **values: object) -> bool:
    """Record an outcome, only if this worker still holds the claim (the caller commits)."""
    result = db.session.execute(
        update(GradeOutboxEntry)
        .where(
            GradeOutboxEntry.id == entry_id,
            GradeOutboxEntry.attempts == attempt,
            GradeOutboxEntry.status == OutboxStatus.SENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _finish_sent(claims: list[tuple[int, int]], now: datetime) -> None:
    """Mark delivered entries sent in one statement (executemany), where the claim still holds."""
    if not claims:
        return
    table = GradeOutboxEntry.__table__
    db.session.execute(
        update(table)
        .where(
            table.c.id == bindparam("claimed_id"),
            table.c.attempts == bindparam("claimed_attempt"),
            table.c.status == OutboxStatus.SENDING,
        )
        .values(status=OutboxStatus.SENT, sent_at=now, last_error=""),
        [{"claimed_id": entry_id, "claimed_attempt": attempt} for entry_id, attempt in claims],
    )


def submission_fields(activity_progress: str, timestamp: datetime) -> dict[str, Any]:
    """When the score is a student's submission, and whether Canvas should count it as one.

    Evidence handed in (Submitted) is a new attempt at its time; a teacher's assessment
    (Completed) grades the attempt already there, so Canvas keeps one submission per hand-in
    instead of one per grade change (and does not mark a late grade as a late submission).
    """
    if activity_progress == "Submitted":
        return {"submitted_at": timestamp, "new_submission": True}
    return {"new_submission": False}


def delivery_for(entry: GradeOutboxEntry) -> ScoreDelivery:
    """What the sender needs for one entry."""
    course = entry.line_item.course
    return ScoreDelivery(
        entry_id=entry.id,
        platform_id=course.platform_id,
        line_item_url=entry.line_item.url,
        score=score_of(entry, entry.enrollment.person.subject, handed_in=entry.timestamp),
        ags_scopes=tuple(course.ags_scopes or ()),
    )


def score_of(entry: GradeOutboxEntry, subject: str, *, handed_in: datetime) -> Score:
    """The AGS score an outbox entry sends for the student `subject` (handed in at `handed_in`)."""
    return Score(
        user_id=subject,
        score_given=entry.score_given,
        score_maximum=entry.score_maximum,
        comment=entry.comment,
        activity_progress=entry.activity_progress,
        grading_progress=entry.grading_progress,
        timestamp=entry.timestamp,
        **submission_fields(entry.activity_progress, handed_in),
    )


@dataclass(frozen=True)
class _Claimed:
    """A claimed entry read for sending, as plain values (no transaction stays open)."""

    entry_id: int
    attempt: int
    line_item_id: int
    enrollment_id: int
    timestamp: datetime
    maybe_delivered: bool
    restamps: int
    delivery: ScoreDelivery | None  # None: a newer score of ours supersedes it


def _load_claimed(claims: list[tuple[int, int]], now: datetime) -> list[_Claimed]:
    """Read claimed entries with line item, course and student in one query (flushes restamps).

    Entries a newer score supersedes are finished here; entries that met a 409 from a timestamp
    we did not send get their new timestamp now, before they are sent.
    """
    if not claims:
        return []
    entry = GradeOutboxEntry
    has_newer = newer_score_query(entry.line_item_id, entry.enrollment_id, entry.timestamp)
    rows = db.session.execute(
        select(entry, LineItem.url, Course.platform_id, Course.ags_scopes, Person.subject)
        .add_columns(has_newer.exists())
        .join(LineItem, LineItem.id == entry.line_item_id)
        .join(Course, Course.id == LineItem.course_id)
        .join(Enrollment, Enrollment.id == entry.enrollment_id)
        .join(Person, Person.id == Enrollment.person_id)
        .where(entry.id.in_([entry_id for entry_id, _ in claims]))
    ).all()
    by_id = {row[0].id: row for row in rows}
    loaded: list[_Claimed] = []
    for entry_id, attempt in claims:
        row = by_id.get(entry_id)
        if row is None:
            continue
        stored, url, platform_id, ags_scopes, subject, newer = row
        delivery: ScoreDelivery | None = None
        if newer:
            _finish(entry_id, attempt, status=OutboxStatus.SUPERSEDED)
        else:
            handed_in = stored.timestamp  # a restamp moves the score's time, not the hand-in's
            if stored.needs_restamp:
                stored.timestamp = next_score_time(stored.timestamp, now)
                stored.needs_restamp = False
            delivery = ScoreDelivery(
                entry_id=entry_id,
                platform_id=platform_id,
                line_item_url=url,
                score=score_of(stored, subject, handed_in=handed_in),
                ags_scopes=tuple(ags_scopes or ()),
            )
        loaded.append(
            _Claimed(
                entry_id,
                attempt,
                stored.line_item_id,
                stored.enrollment_id,
                stored.timestamp,
                stored.maybe_delivered,
                stored.restamps,
                delivery,
            )
        )
    db.session.flush()
    return loaded


def push_claimed(
    sender: Callable[[ScoreDelivery], None],
    claims: list[tuple[int, int]],
    *,
    now: datetime,
    policy: RetryPolicy,
    rand: Callable[[], float],
    report: PushReport,
) -> dict[int, str]:
    """Send a batch of claimed entries and record the outcomes, in three steps.

    1. read the batch (one query) and commit: no transaction stays open while the LMS answers;
    2. send each score;
    3. record every outcome and commit once.

    An entry is marked sent only after the LMS answered 2xx. A worker that dies in step 2 or 3
    leaves its batch SENDING: after the lease the batch is sent again, marked "maybe delivered",
    with the same timestamps, so the LMS keeps one score per timestamp (Moodle's 409 for a
    timestamp it already holds then counts as delivered). At most one batch is sent twice.

    Returns:
        The new status of each entry handled (entry id -> status).
    """
    loaded = _load_claimed(claims, now)
    prepare = getattr(sender, "prepare", None)
    if prepare is not None:
        prepare({item.delivery.platform_id for item in loaded if item.delivery})
    db.session.commit()
    statuses: dict[int, str] = {}
    outcomes: list[tuple[_Claimed, ServiceError | None]] = []
    for item in loaded:
        if item.delivery is None:
            statuses[item.entry_id] = OutboxStatus.SUPERSEDED
            report.superseded += 1
            continue
        try:
            sender(item.delivery)
        except ServiceError as error:
            outcomes.append((item, error))
        except Exception:
            # Leave it claimed: the lease expires and it is retried; keep the others going.
            db.session.rollback()
            logger.exception("score push crashed entry=%s", item.entry_id)
            report.errors.append("internal error")
        else:
            outcomes.append((item, None))
    _finish_sent([(i.entry_id, i.attempt) for i, error in outcomes if error is None], now)
    for item, error in outcomes:
        if error is None:
            statuses[item.entry_id] = OutboxStatus.SENT
            report.sent += 1
        else:
            statuses[item.entry_id] = _record_failure(item, error, now, policy, rand, report)
    db.session.commit()
    return statuses


def _record_failure(
    entry: _Claimed,
    error: ServiceError,
    now: datetime,
    policy: RetryPolicy,
    rand: Callable[[], float],
    report: PushReport,
) -> str:
    """Write what `decide_failure` decided for a failed attempt; count it in the report."""
    kind = FailureKind(error.kind)
    state = EntryState(
        attempt=entry.attempt,
        maybe_delivered=entry.maybe_delivered,
        restamps=entry.restamps,
        has_newer=kind == FailureKind.CONFLICT
        and has_newer_score(entry.line_item_id, entry.enrollment_id, entry.timestamp),
    )
    failure = DeliveryFailure(kind, str(error)[:900], error.retry_after, error.ambiguous)
    decision = decide_failure(failure, state, policy, rand)
    values: dict[str, object] = {
        "status": decision.status,
        "last_error": decision.reason[:1000],
        "maybe_delivered": decision.maybe_delivered,
        "restamps": decision.restamps,
        "needs_restamp": decision.needs_restamp,
    }
    if decision.status == OutboxStatus.PENDING:
        values["next_attempt_at"] = now + timedelta(seconds=decision.wait)
    elif decision.status == OutboxStatus.SENT:
        values["sent_at"] = now
    _finish(entry.entry_id, entry.attempt, **values)
    if decision.status == OutboxStatus.PENDING:
        report.retried += 1
        if kind == FailureKind.TRANSIENT:
            logger.info(
                "score retry entry=%s attempt=%s status=%s",
                entry.entry_id,
                entry.attempt,
                error.status,
            )
    elif decision.status == OutboxStatus.SENT:
        report.sent += 1
    elif decision.status == OutboxStatus.SUPERSEDED:
        report.superseded += 1
    else:
        report.failed += 1
        report.errors.append(decision.reason)
        logger.warning("score failed entry=%s status=%s", entry.entry_id, error.status)
    return decision.status
