"""What to do with a score the LMS did not accept: retry, re-stamp, count as sent, or give up.

Plain values only: the outbox (`services.outbox_delivery`) turns an AGS `ServiceError` into a
`DeliveryFailure`, asks `decide_failure` and writes the `Decision` to the entry's columns.

The 409 rule (Moodle refuses a score whose timestamp is not newer than the one it holds):
- a newer score of ours for the same student and column exists: this one is superseded;
- an earlier attempt of this entry may have arrived (timeout, reset, a worker that died): the
  409 is that attempt's echo, so the entry counts as sent;
- otherwise the LMS holds a timestamp we did not send (clock skew, another tool instance): the
  entry is re-stamped when it is sent again and retried, at most `max_restamps` times, then it
  fails with the reason shown to the teacher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

ONE_SECOND = timedelta(seconds=1)


def next_score_time(previous: datetime | None, now: datetime) -> datetime:
    """The timestamp of a score that follows `previous` for the same student and column.

    Moodle compares whole seconds (gradebookservices scores.php refuses with 409 when the stored
    grade's `timemodified` >= strtotime(timestamp)), so a later score must fall in a later whole
    second, not just be a millisecond newer: at least the second after `previous`'s.
    """
    if previous is None:
        return now
    return max(now, previous.replace(microsecond=0) + ONE_SECOND)


class OutboxStatus(StrEnum):
    """Values of an outbox entry's status."""

    PENDING = "pending"
    # Claimed by a worker; `next_attempt_at` is the lease end, after which it is due again.
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"


class ActivityProgress(StrEnum):
    """AGS activityProgress values."""

    INITIALIZED = "Initialized"
    STARTED = "Started"
    IN_PROGRESS = "InProgress"
    SUBMITTED = "Submitted"
    COMPLETED = "Completed"


class GradingProgress(StrEnum):
    """AGS gradingProgress values."""

    FULLY_GRADED = "FullyGraded"
    PENDING = "Pending"
    PENDING_MANUAL = "PendingManual"
    FAILED = "Failed"
    NOT_READY = "NotReady"


#: The statuses a worker may still pick up.
LIVE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)
#: The statuses that end an entry's life (a teacher's retry makes a failed one pending again).
FINAL_STATUSES = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SUPERSEDED)


class FailureKind(StrEnum):
    """How a failed AGS call is classified."""

    TRANSIENT = "transient"  # retry later
    CONFLICT = "conflict"  # 409: the LMS holds an equal or newer timestamp
    PERMANENT = "permanent"  # do not retry


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
        backoff = min(self.cap, self.base * 2.0 ** max(0, attempts - 1))
        jittered = backoff / 2 + rand() * backoff / 2
        return max(jittered, retry_after or 0.0)


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class DeliveryFailure:
    """One failed attempt, as plain values.

    Attributes:
        kind: how the call failed.
        reason: the message shown to the teacher.
        retry_after: seconds the platform asked us to wait, if any.
        ambiguous: the request may have reached the platform (timeout, reset).
    """

    kind: FailureKind
    reason: str
    retry_after: float | None = None
    ambiguous: bool = False


@dataclass(frozen=True)
class EntryState:
    """What the outbox knows of the entry that failed.

    Attributes:
        attempt: the attempt that just failed (1 for the first).
        maybe_delivered: an earlier attempt may have reached the LMS.
        restamps: 409 re-stamps so far.
        has_newer: a newer score of ours for the same column and student exists.
    """

    attempt: int
    maybe_delivered: bool
    restamps: int
    has_newer: bool


@dataclass(frozen=True)
class Decision:
    """What becomes of the entry.

    Attributes:
        status: the entry's new status.
        reason: the entry's `last_error` ("" when it counts as sent).
        wait: seconds until the next attempt (for a pending entry).
        maybe_delivered: the new value of the entry's flag.
        restamps: the new re-stamp count.
        needs_restamp: give the entry a newer timestamp before it is sent again.
    """

    status: OutboxStatus
    reason: str
    wait: float = 0.0
    maybe_delivered: bool = False
    restamps: int = 0
    needs_restamp: bool = False


def decide_failure(
    failure: DeliveryFailure,
    entry: EntryState,
    policy: RetryPolicy,
    rand: Callable[[], float],
) -> Decision:
    """The outcome of a failed attempt (see the module docstring for the 409 rule).

    Args:
        failure: how the attempt failed.
        entry: the entry's retry state.
        policy: backoff and attempt limits.
        rand: a [0, 1) random source for the jitter.

    Returns:
        The entry's new status and retry state.
    """
    reason = failure.reason
    kind = failure.kind
    if kind == FailureKind.CONFLICT:
        if entry.has_newer:
            return Decision(
                OutboxStatus.SUPERSEDED,
                reason,
                maybe_delivered=entry.maybe_delivered,
                restamps=entry.restamps,
            )
        if entry.maybe_delivered:
            return Decision(OutboxStatus.SENT, "", maybe_delivered=True, restamps=entry.restamps)
        if entry.restamps < policy.max_restamps:
            # Re-stamped when it is sent again, after a backoff: "now" will have moved.
            return Decision(
                OutboxStatus.PENDING,
                reason,
                wait=policy.delay(entry.attempt, rand, None),
                maybe_delivered=entry.maybe_delivered,
                restamps=entry.restamps + 1,
                needs_restamp=True,
            )
        kind = FailureKind.PERMANENT
    if kind == FailureKind.TRANSIENT and entry.attempt < policy.max_attempts:
        return Decision(
            OutboxStatus.PENDING,
            reason,
            wait=policy.delay(entry.attempt, rand, failure.retry_after),
            maybe_delivered=entry.maybe_delivered or failure.ambiguous,
            restamps=entry.restamps,
        )
    if kind == FailureKind.TRANSIENT:
        reason = f"Gave up after {entry.attempt} attempts: {reason}"
    return Decision(
        OutboxStatus.FAILED,
        reason,
        maybe_delivered=entry.maybe_delivered or failure.ambiguous,
        restamps=entry.restamps,
    )
