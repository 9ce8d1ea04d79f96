"""The teacher's view of grade sync: the latest score per student and column, and retries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db
from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus
from lti_pl.services.outbox import has_newer_score


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
