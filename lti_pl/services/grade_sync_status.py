"""The teacher's view of grade sync: the latest score per student and column, and retries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db
from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus
from lti_pl.services.outbox_claims import has_newer_score


@dataclass(frozen=True)
class SyncRow:
    """The latest score sync of one student on one gradebook column."""

    entry: GradeOutboxEntry
    student: str
    column: str
    stuck: bool = False


def is_stuck(entry: GradeOutboxEntry, now: datetime) -> bool:
    """Whether a claimed entry outlived its lease: its sender stopped before it finished."""
    due = entry.next_attempt_at
    if due is not None and due.tzinfo is None:  # SQLite hands back naive UTC
        due = due.replace(tzinfo=now.tzinfo)
    return entry.status == OutboxStatus.SENDING and due is not None and due < now


def sync_status(course_id: int, *, now: datetime) -> list[SyncRow]:
    """The latest entry per (line item, student) of a course, students by name.

    Args:
        course_id: the course.
        now: the current time, to tell a stuck entry (lease run out) from one being sent.
    """
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
        SyncRow(
            e,
            e.enrollment.person.display_name,
            e.line_item.label or e.line_item.url,
            stuck=is_stuck(e, now),
        )
        for e in entries
    ]
    return sorted(rows, key=lambda r: (r.student.lower(), r.column, r.entry.id))


def retry_failed(course_id: int, *, now: datetime, entry_id: int | None = None) -> int:
    """Make failed or stuck entries of the course due again (one, or all). Returns how many.

    A stuck entry (SENDING after its lease ran out) stays SENDING and becomes due now: the next
    claim marks it "maybe delivered", as the running worker's own takeover does, so a 409 for
    a score that did arrive counts as delivered.

    Raises:
        NotFoundError: the entry is not a failed or stuck entry of this course.
    """
    query = select(GradeOutboxEntry).where(
        GradeOutboxEntry.course_id == course_id,
        (GradeOutboxEntry.status == OutboxStatus.FAILED)
        | (
            (GradeOutboxEntry.status == OutboxStatus.SENDING)
            & (GradeOutboxEntry.next_attempt_at < now)
        ),
    )
    if entry_id is not None:
        query = query.where(GradeOutboxEntry.id == entry_id)
    entries = db.session.scalars(query).all()
    if entry_id is not None and not entries:
        raise NotFoundError("That failed score is not in this course.")
    for entry in entries:
        if entry.status == OutboxStatus.SENDING:
            entry.next_attempt_at = now
            continue
        if has_newer_score(entry.line_item_id, entry.enrollment_id, entry.timestamp):
            entry.status = OutboxStatus.SUPERSEDED
            continue
        entry.status = OutboxStatus.PENDING
        entry.attempts = 0
        entry.next_attempt_at = now
        entry.last_error = ""
        entry.restamps = 0
        entry.needs_restamp = False
    db.session.flush()
    return len(entries)
