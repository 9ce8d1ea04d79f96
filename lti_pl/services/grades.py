"""Grades leave through a durable outbox: `queue_score()` writes, `push_pending()` sends.

Scores go through the outbox, not straight to AGS: a platform that is down must not roll back the
evidence the student just submitted, and a worker that dies mid-send must not lose a score.

Ordering rules (Moodle refuses a score whose timestamp is not newer than the last one with 409):
- an entry's `timestamp` is fixed when it is queued, max(now, previous entry's timestamp + 1 ms)
  for the same (line item, enrollment), so timestamps are strictly increasing per pair;
- a newer score supersedes an older one that has not been sent yet (status `superseded`);
- at most one entry per (line item, enrollment) is in flight: an entry is not claimed while an
  older one of the same pair is being sent under a live lease.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import aliased

from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.extensions import db
from lti_pl.lti.ags import AgsClient, Score, ScoreDelivery
from lti_pl.lti.service_connector import ServiceError
from lti_pl.models.base import utcnow
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.grades import GradeOutboxEntry, LineItem, OutboxStatus

logger = logging.getLogger(__name__)

AGGREGATE = "aggregate"
PER_TARGET = "target"
PASSBACK_MODES = (AGGREGATE, PER_TARGET)
ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
ONE_MS = timedelta(milliseconds=1)
TARGET_TAG_PREFIX = "target-"


def target_tag(target_id: int) -> str:
    """The line item tag of a per-target line item."""
    return f"{TARGET_TAG_PREFIX}{target_id}"


def line_items_for_target(course_id: int, target_id: int) -> list[LineItem]:
    """The per-target line items of one learning target (where its mastery is sent).

    Args:
        course_id: the course.
        target_id: the learning target.

    Returns:
        Line items with passback mode "target" for that target, oldest first.
    """
    return list(
        db.session.scalars(
            select(LineItem)
            .where(
                LineItem.course_id == course_id,
                LineItem.passback_mode == PER_TARGET,
                LineItem.target_id == target_id,
            )
            .order_by(LineItem.id)
        )
    )


def aggregate_line_items(course_id: int) -> list[LineItem]:
    """The course's aggregate line items (each gets the course mastery grade).

    Which targets an aggregate line item averages is in the resource link's custom parameter
    `lti_pl_targets`, kept in `LineItem.target_ids` (see `aggregate_target_ids`).
    """
    return list(
        db.session.scalars(
            select(LineItem)
            .where(LineItem.course_id == course_id, LineItem.passback_mode == AGGREGATE)
            .order_by(LineItem.id)
        )
    )


def aggregate_target_ids(line_item: LineItem) -> list[int] | None:
    """The targets an aggregate line item covers (None: every non-archived target)."""
    ids = [int(i) for i in line_item.target_ids or [] if str(i).isdigit()]
    return ids or None


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
    timestamp = now if previous is None else max(now, previous + ONE_MS)
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
    # Read by the web layer after the request commits, to wake the grade worker.
    db.session.info.setdefault("lti_pl_scores_queued", set()).add(course_id)
    logger.debug(
        "queued score entry=%s line_item=%s enrollment=%s", entry.id, line_item.id, enrollment.id
    )
    return entry


# ---------------------------------------------------------------------------- sending


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


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter.

    Attributes:
        base: seconds before the first retry.
        cap: longest wait between attempts.
        max_attempts: after this many attempts an entry fails for good.
        lease: seconds a claimed entry stays claimed before another worker may take it.
        max_restamps: 409 answers (older timestamp) tolerated before failing.
    """

    base: float = 2.0
    cap: float = 600.0
    max_attempts: int = 12
    lease: float = 120.0
    max_restamps: int = 3

    def delay(self, attempts: int, rand: Callable[[], float], retry_after: float | None) -> float:
        """Seconds until the next attempt: base·2^(n-1), capped, equal jitter, ≥ Retry-After."""
        backoff = min(self.cap, self.base * (2 ** max(0, attempts - 1)))
        jittered = backoff / 2 + rand() * backoff / 2
        return max(jittered, retry_after or 0.0)


DEFAULT_POLICY = RetryPolicy()
AMBIGUOUS_MARK = "[maybe delivered] "
RESTAMP_MARK = "[re-stamp] "
LEASE_EXPIRED = "The worker stopped while sending."


def _restamps(previous_error: str) -> int:
    if not previous_error.startswith(RESTAMP_MARK):
        return 0
    count = previous_error.removeprefix(RESTAMP_MARK).split(" ", 1)[0]
    return int(count) if count.isdigit() else 0


def _due_query(now: datetime) -> Select[tuple[GradeOutboxEntry]]:
    """Entries due now, oldest first, skipping pairs with another entry in flight."""
    other = aliased(GradeOutboxEntry)
    in_flight = (
        select(other.id)
        .where(
            other.line_item_id == GradeOutboxEntry.line_item_id,
            other.enrollment_id == GradeOutboxEntry.enrollment_id,
            other.id != GradeOutboxEntry.id,
            other.status == OutboxStatus.SENDING,
            other.next_attempt_at > now,
        )
        .exists()
    )
    return (
        select(GradeOutboxEntry)
        .where(
            GradeOutboxEntry.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
            GradeOutboxEntry.next_attempt_at <= now,
            ~in_flight,
        )
        .order_by(GradeOutboxEntry.next_attempt_at, GradeOutboxEntry.timestamp, GradeOutboxEntry.id)
    )


def claim_next(
    now: datetime, policy: RetryPolicy = DEFAULT_POLICY, course_id: int | None = None
) -> tuple[int, int] | None:
    """Claim one due entry (see `claim_batch`); None when nothing is due."""
    claims = claim_batch(now, policy, course_id, size=1)
    return claims[0] if claims else None


def claim_batch(
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
    course_id: int | None = None,
    size: int = 10,
) -> list[tuple[int, int]]:
    """Claim up to `size` due entries for this worker and commit the claims.

    PostgreSQL: candidates are read with FOR UPDATE SKIP LOCKED, so concurrent workers never
    wait on each other. Everywhere (SQLite included): each claim is a conditional UPDATE on the
    attempts counter, so two workers reading the same row cannot both claim it. A claim is a
    lease: a worker that dies leaves the entry SENDING until `next_attempt_at`, then it is due.
    Such an entry (still SENDING when claimed again) may have reached the LMS before the worker
    died, so it is marked "maybe delivered": a 409 for it then counts as delivered.

    Returns:
        (entry id, attempt number) pairs, in sending order.
    """
    query = _due_query(now)
    if course_id is not None:
        query = query.where(GradeOutboxEntry.course_id == course_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=GradeOutboxEntry)
    candidates = db.session.execute(
        query.with_only_columns(
            GradeOutboxEntry.id,
            GradeOutboxEntry.attempts,
            GradeOutboxEntry.status,
            GradeOutboxEntry.last_error,
        ).limit(size)
    ).all()
    lease_end = now + timedelta(seconds=policy.lease)
    claims: list[tuple[int, int]] = []
    for entry_id, attempts, status, last_error in candidates:
        values: dict[str, object] = {
            "status": OutboxStatus.SENDING,
            "attempts": attempts + 1,
            "next_attempt_at": lease_end,
        }
        if status == OutboxStatus.SENDING and not last_error.startswith(AMBIGUOUS_MARK):
            values["last_error"] = (AMBIGUOUS_MARK + (last_error or LEASE_EXPIRED))[:1000]
        claimed = db.session.execute(
            update(GradeOutboxEntry)
            .where(
                GradeOutboxEntry.id == entry_id,
                GradeOutboxEntry.attempts == attempts,
                GradeOutboxEntry.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
                GradeOutboxEntry.next_attempt_at <= now,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            claims.append((entry_id, attempts + 1))
    db.session.commit()
    return claims


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


def _newer_query(
    line_item_id: object, enrollment_id: object, timestamp: object
) -> Select[tuple[int]]:
    newer = aliased(GradeOutboxEntry)
    return select(newer.id).where(
        newer.line_item_id == line_item_id,
        newer.enrollment_id == enrollment_id,
        newer.timestamp > timestamp,
        newer.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)),
    )


def _newer_sent(entry: GradeOutboxEntry | _Claimed) -> bool:
    query = _newer_query(entry.line_item_id, entry.enrollment_id, entry.timestamp)
    return db.session.scalar(query.limit(1)) is not None


def delivery_for(entry: GradeOutboxEntry) -> ScoreDelivery:
    """What the sender needs for one entry."""
    course = entry.line_item.course
    return ScoreDelivery(
        entry_id=entry.id,
        platform_id=course.platform_id,
        line_item_url=entry.line_item.url,
        score=Score(
            user_id=entry.enrollment.person.subject,
            score_given=entry.score_given,
            score_maximum=entry.score_maximum,
            comment=entry.comment,
            activity_progress=entry.activity_progress,
            grading_progress=entry.grading_progress,
            timestamp=entry.timestamp,
            **submission_fields(entry.activity_progress, entry.timestamp),
        ),
        ags_scopes=tuple(course.ags_scopes or ()),
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


@dataclass(frozen=True)
class _Claimed:
    """A claimed entry read for sending, as plain values (no transaction stays open)."""

    entry_id: int
    attempt: int
    line_item_id: int
    enrollment_id: int
    timestamp: datetime
    previous_error: str
    delivery: ScoreDelivery | None  # None: a newer score of ours supersedes it


def _load_claimed(claims: list[tuple[int, int]], now: datetime) -> list[_Claimed]:
    """Read claimed entries with line item, course and student in one query (flushes restamps).

    Entries a newer score supersedes are finished here; entries that met a 409 from a timestamp
    we did not send get their new timestamp now, before they are sent.
    """
    if not claims:
        return []
    entry = GradeOutboxEntry
    has_newer = _newer_query(entry.line_item_id, entry.enrollment_id, entry.timestamp).exists()
    rows = db.session.execute(
        select(entry, LineItem.url, Course.platform_id, Course.ags_scopes, Person.subject)
        .add_columns(has_newer)
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
        previous_error = stored.last_error
        delivery: ScoreDelivery | None = None
        if newer:
            _finish(entry_id, attempt, status=OutboxStatus.SUPERSEDED)
        else:
            handed_in = stored.timestamp  # a restamp moves the score's time, not the hand-in's
            if previous_error.startswith(RESTAMP_MARK):
                stored.timestamp = max(now, stored.timestamp + ONE_MS)
            delivery = ScoreDelivery(
                entry_id=entry_id,
                platform_id=platform_id,
                line_item_url=url,
                score=Score(
                    user_id=subject,
                    score_given=stored.score_given,
                    score_maximum=stored.score_maximum,
                    comment=stored.comment,
                    activity_progress=stored.activity_progress,
                    grading_progress=stored.grading_progress,
                    timestamp=stored.timestamp,
                    **submission_fields(stored.activity_progress, handed_in),
                ),
                ags_scopes=tuple(ags_scopes or ()),
            )
        loaded.append(
            _Claimed(
                entry_id,
                attempt,
                stored.line_item_id,
                stored.enrollment_id,
                stored.timestamp,
                previous_error,
                delivery,
            )
        )
    db.session.flush()
    return loaded


def _push_claimed(
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


def push_one(
    sender: Callable[[ScoreDelivery], None],
    entry_id: int,
    attempt: int,
    *,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
    rand: Callable[[], float] = random.random,
    report: PushReport | None = None,
) -> str:
    """Send one claimed entry and record the outcome (committed). Returns the new status.

    409 (Moodle: the LMS holds an equal or newer timestamp) is decided as follows:
    - a newer score of ours for the same student and column exists: this one is superseded;
    - an earlier attempt of this entry may have arrived (timeout, reset, a worker that died):
      the 409 is that attempt's echo, so the entry counts as sent;
    - otherwise the LMS holds a timestamp we did not send (clock skew, another tool instance):
      the entry is re-stamped (now, or previous + 1 ms) and retried, at most
      `policy.max_restamps` times, then fails with the reason shown to the teacher.
    """
    report = report if report is not None else PushReport()
    statuses = _push_claimed(
        sender, [(entry_id, attempt)], now=now, policy=policy, rand=rand, report=report
    )
    return statuses.get(entry_id, "gone")


def _record_failure(
    entry: _Claimed,
    error: ServiceError,
    now: datetime,
    policy: RetryPolicy,
    rand: Callable[[], float],
    report: PushReport,
) -> str:
    reason = str(error)[:900]
    entry_id, attempt, previous_error = entry.entry_id, entry.attempt, entry.previous_error
    if error.kind == "conflict":
        if _newer_sent(entry):
            _finish(entry_id, attempt, status=OutboxStatus.SUPERSEDED, last_error=reason)
            report.superseded += 1
            return OutboxStatus.SUPERSEDED
        if previous_error.startswith(AMBIGUOUS_MARK):
            _finish(entry_id, attempt, status=OutboxStatus.SENT, sent_at=now, last_error="")
            report.sent += 1
            return OutboxStatus.SENT
        restamps = _restamps(previous_error)
        if restamps < policy.max_restamps:
            # Re-stamped when it is sent again (push_one), after a backoff: "now" will have moved.
            _finish(
                entry_id,
                attempt,
                status=OutboxStatus.PENDING,
                next_attempt_at=now + timedelta(seconds=policy.delay(attempt, rand, None)),
                last_error=f"{RESTAMP_MARK}{restamps + 1} {reason}"[:1000],
            )
            report.retried += 1
            return OutboxStatus.PENDING
        error = ServiceError(reason, kind="permanent", status=409)
    if error.kind == "transient" and attempt < policy.max_attempts:
        wait = policy.delay(attempt, rand, error.retry_after)
        maybe_delivered = error.ambiguous or previous_error.startswith(AMBIGUOUS_MARK)
        mark = AMBIGUOUS_MARK if maybe_delivered else ""
        _finish(
            entry_id,
            attempt,
            status=OutboxStatus.PENDING,
            next_attempt_at=now + timedelta(seconds=wait),
            last_error=(mark + reason)[:1000],
        )
        report.retried += 1
        logger.info("score retry entry=%s attempt=%s status=%s", entry_id, attempt, error.status)
        return OutboxStatus.PENDING
    if error.kind == "transient":
        reason = f"Gave up after {attempt} attempts: {reason}"
    _finish(entry_id, attempt, status=OutboxStatus.FAILED, last_error=reason[:1000])
    report.failed += 1
    report.errors.append(reason)
    logger.warning("score failed entry=%s status=%s", entry_id, error.status)
    return OutboxStatus.FAILED


def push_pending(
    sender: Callable[[ScoreDelivery], None],
    *,
    now: datetime,
    limit: int = 100,
    policy: RetryPolicy = DEFAULT_POLICY,
    rand: Callable[[], float] = random.random,
    course_id: int | None = None,
    batch: int = 10,
) -> PushReport:
    """Send due outbox entries a batch at a time (a worker's unit of work, see `_push_claimed`).

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
    report = PushReport()
    remaining = limit
    while remaining > 0:
        claims = claim_batch(now, policy, course_id, size=min(batch, remaining))
        if not claims:
            break
        remaining -= len(claims)
        try:
            _push_claimed(sender, claims, now=now, policy=policy, rand=rand, report=report)
        except Exception:
            # Leave them claimed: the lease expires and they are retried.
            db.session.rollback()
            logger.exception("score push crashed entries=%s", [c[0] for c in claims])
            report.errors.append("internal error")
    return report


# ---------------------------------------------------------------------------- teacher views


@dataclass(frozen=True)
class SyncRow:
    """The latest score sync of one student on one gradebook column."""

    entry: GradeOutboxEntry
    student: str
    column: str


def sync_status(course_id: int) -> list[SyncRow]:
    """The latest entry per (line item, student) of a course, students by name."""
    latest = (
        select(
            GradeOutboxEntry.line_item_id,
            GradeOutboxEntry.enrollment_id,
            func.max(GradeOutboxEntry.id).label("id"),
        )
        .where(
            GradeOutboxEntry.course_id == course_id,
            GradeOutboxEntry.status != OutboxStatus.SUPERSEDED,
        )
        .group_by(GradeOutboxEntry.line_item_id, GradeOutboxEntry.enrollment_id)
        .subquery()
    )
    entries = db.session.scalars(
        select(GradeOutboxEntry).join(latest, GradeOutboxEntry.id == latest.c.id)
    ).all()
    rows = [
        SyncRow(e, e.enrollment.person.display_name, e.line_item.label or e.line_item.url)
        for e in entries
    ]
    return sorted(rows, key=lambda r: (r.student.lower(), r.column, r.entry.id))


def retry_failed(course_id: int, *, now: datetime, entry_id: int | None = None) -> int:
    """Make failed entries of the course due again (one, or all). Returns how many.

    Raises:
        NotFoundError: the entry is not a failed entry of this course.
    """
    query = select(GradeOutboxEntry).where(
        GradeOutboxEntry.course_id == course_id, GradeOutboxEntry.status == OutboxStatus.FAILED
    )
    if entry_id is not None:
        query = query.where(GradeOutboxEntry.id == entry_id)
    entries = db.session.scalars(query).all()
    if entry_id is not None and not entries:
        raise NotFoundError("That failed score is not in this course.")
    for entry in entries:
        if _newer_sent(entry):
            entry.status = OutboxStatus.SUPERSEDED
            continue
        entry.status = OutboxStatus.PENDING
        entry.attempts = 0
        entry.next_attempt_at = now
        entry.last_error = ""
    db.session.flush()
    return len(entries)


def pending_course_ids(now: datetime) -> list[int]:
    """Courses with entries due now (what a worker would wake up for)."""
    return list(
        db.session.scalars(
            select(GradeOutboxEntry.course_id)
            .where(
                GradeOutboxEntry.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
                GradeOutboxEntry.next_attempt_at <= now,
            )
            .distinct()
        )
    )


# ---------------------------------------------------------------------------- line items

CUSTOM_TARGET = "lti_pl_target"
CUSTOM_TARGETS = "lti_pl_targets"
CUSTOM_MAXIMUM = "lti_pl_score_maximum"


@dataclass(frozen=True)
class Passback:
    """Where a resource link's grades go, read from its custom parameters."""

    mode: str
    target_id: int | None
    target_ids: tuple[int, ...]
    score_maximum: float | None


def passback_from_custom(custom: dict[str, str]) -> Passback | None:
    """The passback a deep-linked resource link asked for (None: no grades flow)."""
    maximum: float | None = None
    raw_max = custom.get(CUSTOM_MAXIMUM, "")
    try:
        maximum = float(raw_max) if raw_max else None
    except ValueError:
        maximum = None
    single = custom.get(CUSTOM_TARGET, "").strip()
    if single.isdigit():
        return Passback(PER_TARGET, int(single), (), maximum)
    if CUSTOM_TARGETS in custom:
        ids = tuple(int(p) for p in custom[CUSTOM_TARGETS].split(",") if p.strip().isdigit())
        return Passback(AGGREGATE, None, ids, maximum)
    return None


def _valid_targets(course_id: int, ids: list[int]) -> list[int]:
    """Only ids of targets in this course (a forged custom parameter cannot reach elsewhere)."""
    if not ids:
        return []
    from lti_pl.models.targets import LearningTarget

    return list(
        db.session.scalars(
            select(LearningTarget.id).where(
                LearningTarget.course_id == course_id, LearningTarget.id.in_(ids)
            )
        )
    )


def record_line_item(
    *,
    course_id: int,
    url: str,
    passback: Passback,
    label: str = "",
    resource_id: str = "",
    tag: str = "",
    resource_link_id: str = "",
    from_launch: bool = True,
    now: datetime | None = None,
) -> LineItem | None:
    """Create or update the LineItem row of a URL; None when its target is not in the course.

    A new row gets the students' current grades queued (`mastery.send_current_grades`): grades
    given before the column was known reach it too.
    """
    target_id: int | None = None
    target_ids: list[int] = []
    if passback.mode == PER_TARGET:
        valid = _valid_targets(course_id, [passback.target_id or 0])
        if not valid:
            return None
        target_id = valid[0]
    else:
        target_ids = _valid_targets(course_id, list(passback.target_ids))
    item = db.session.scalars(
        select(LineItem).where(LineItem.course_id == course_id, LineItem.url == url)
    ).first()
    created = item is None
    if item is None:
        item = LineItem(course_id=course_id, url=url)
        db.session.add(item)
    item.passback_mode = passback.mode
    item.target_id = target_id
    item.target_ids = target_ids
    item.label = label or item.label or ""
    item.resource_id = resource_id or item.resource_id or ""
    item.tag = tag or item.tag or ""
    item.resource_link_id = resource_link_id or item.resource_link_id or ""
    item.from_launch = from_launch
    if passback.score_maximum:
        item.score_maximum = passback.score_maximum
    elif item.score_maximum is None:
        item.score_maximum = 100.0
    db.session.flush()
    if created:
        from lti_pl.services import mastery  # mastery imports this module

        queued = mastery.send_current_grades(item, now=now or utcnow())
        if queued:
            logger.info("line item %s: %d current grades queued", item.id, queued)
    return item


def ensure_line_item_from_launch(*, course_id: int, resource_link_row_id: int) -> LineItem | None:
    """Record the LineItem a launch of a deep-linked resource link points at.

    The launch stored the resource link's custom parameters and AGS `lineitem` claim on the
    ResourceLink row; when they name a target (`lti_pl_target`) or targets (`lti_pl_targets`)
    and a line item URL came with it, that URL gets a LineItem row with the passback mode.

    Returns:
        The line item, or None when the link does not pass grades back (or has no URL yet).
    """
    from lti_pl.models.courses import ResourceLink

    link = db.session.get(ResourceLink, resource_link_row_id)
    if link is None or link.course_id != course_id:
        return None
    passback = passback_from_custom(dict(link.custom or {}))
    if passback is None or not link.line_item_url:
        return None
    tag = target_tag(passback.target_id) if passback.target_id is not None else AGGREGATE
    resource_id = str(passback.target_id) if passback.target_id is not None else AGGREGATE
    return record_line_item(
        course_id=course_id,
        url=link.line_item_url,
        passback=passback,
        label=link.title,
        resource_id=resource_id,
        tag=tag,
        resource_link_id=link.resource_link_id,
    )


@dataclass(frozen=True)
class LineItemDiscovery:
    """What finding (or creating) a link's gradebook column through AGS needs.

    Read in one transaction before any HTTP call, so no transaction stays open while the LMS
    answers.
    """

    platform_id: int
    scopes: tuple[str, ...]
    line_items_url: str
    passback: Passback
    label: str
    resource_link_id: str


def line_item_discovery(course_id: int, resource_link_row_id: int) -> LineItemDiscovery | None:
    """The AGS lookup a launched link needs, or None when there is nothing to discover.

    Nothing to discover when the link asks for no grades, its launch named its line item, the
    course has no line items URL or no `lineitem` scope, or a line item row already serves the
    link (or, per target, the target: one gradebook column per target is enough).
    """
    from lti_pl.lti.ags import SCOPE_LINEITEM
    from lti_pl.models.courses import ResourceLink

    link = db.session.get(ResourceLink, resource_link_row_id)
    if link is None or link.course_id != course_id or link.line_item_url:
        return None
    passback = passback_from_custom(dict(link.custom or {}))
    course = db.session.get(Course, course_id)
    if passback is None or course is None or not course.line_items_url:
        return None
    scopes = tuple(str(s) for s in course.ags_scopes or ())
    if SCOPE_LINEITEM not in scopes:
        return None
    serving = LineItem.resource_link_id == link.resource_link_id
    if passback.mode == PER_TARGET:
        if not _valid_targets(course_id, [passback.target_id or 0]):
            return None
        serving = serving | (
            (LineItem.passback_mode == PER_TARGET) & (LineItem.target_id == passback.target_id)
        )
    known = db.session.scalars(
        select(LineItem.id).where(LineItem.course_id == course_id, serving).limit(1)
    ).first()
    if known is not None:
        return None
    return LineItemDiscovery(
        platform_id=course.platform_id,
        scopes=scopes,
        line_items_url=course.line_items_url,
        passback=passback,
        label=(link.title or course.title or "lti_pl")[:255],
        resource_link_id=link.resource_link_id,
    )


def find_or_create_line_item(
    client: AgsClient,
    *,
    course_id: int,
    line_items_url: str,
    passback: Passback,
    label: str,
    score_maximum: float,
    resource_link_id: str = "",
) -> LineItem | None:
    """A LineItem found by (resource link, resource id, tag) through AGS, or created there.

    For links whose launch carried no `lineitem` claim. Flushes; the caller commits.

    Raises:
        ServiceError: the LMS refused or failed.
    """
    if passback.mode == PER_TARGET and passback.target_id is not None:
        tag, resource_id = target_tag(passback.target_id), str(passback.target_id)
    else:
        tag, resource_id = AGGREGATE, AGGREGATE
    found = client.find_line_items(
        line_items_url,
        resource_link_id=resource_link_id or None,
        resource_id=resource_id,
        tag=tag,
    )
    if found:
        data = found[0]
    else:
        data = client.create_line_item(
            line_items_url,
            label=label,
            score_maximum=score_maximum,
            resource_id=resource_id,
            tag=tag,
            resource_link_id=resource_link_id,
        )
    return record_line_item(
        course_id=course_id,
        url=str(data["id"]),
        passback=Passback(
            passback.mode,
            passback.target_id,
            passback.target_ids,
            float(data.get("scoreMaximum") or score_maximum),
        ),
        label=str(data.get("label") or label),
        resource_id=resource_id,
        tag=tag,
        resource_link_id=resource_link_id,
        from_launch=False,
    )


def target_line_items(course_id: int) -> list[LineItem]:
    """The course's per-target line items."""
    return list(
        db.session.scalars(
            select(LineItem)
            .where(LineItem.course_id == course_id, LineItem.passback_mode == PER_TARGET)
            .order_by(LineItem.target_id, LineItem.id)
        )
    )


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
