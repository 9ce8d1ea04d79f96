"""Which outbox entries may go: claims for a worker (row leases, batches), and newer scores.

A score is not claimed while another of the same column and student is in flight, and a newer
score of the pair supersedes it (`newer_score_query`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import aliased

from lti_pl.domain.grade_delivery import (
    DEFAULT_POLICY,
    RetryPolicy,
)
from lti_pl.extensions import db
from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus

LEASE_EXPIRED = "The worker stopped while sending."


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
        if status == OutboxStatus.SENDING:  # its lease ran out: the last attempt may have arrived
            values["maybe_delivered"] = True
            values["last_error"] = last_error or LEASE_EXPIRED
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
