"""The grade audit trail: every teacher action that changes or re-sends a grade, with the actor.

Entries carry enrollment ids; names are resolved only when the teacher's page is rendered, and
the log lines carry ids only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_

from lti_pl.domain.audit import ACTION_LABELS, AuditAction
from lti_pl.domain.errors import NotAllowedError, NotFoundError
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.grades import GradeOutboxEntry
from lti_pl.models.targets import LearningTarget
from lti_pl.models.teaching import GradeAuditEntry
from lti_pl.services import grade_sync_status

logger = logging.getLogger(__name__)


def record(
    course_id: int,
    actor_id: int | None,
    action: AuditAction,
    *,
    student_id: int | None = None,
    target_id: int | None = None,
    detail: str = "",
    reason: str = "",
    now: datetime,
) -> GradeAuditEntry:
    """Add one entry to the course's trail (in the caller's transaction)."""
    entry = GradeAuditEntry(
        course_id=course_id,
        actor_id=actor_id,
        student_id=student_id,
        target_id=target_id,
        action=str(action),
        detail=detail[:500],
        reason=reason,
        at=now,
    )
    db.session.add(entry)
    db.session.flush()
    logger.info(
        "audit entry=%s course=%s actor=%s action=%s", entry.id, course_id, actor_id, action
    )
    return entry


@dataclass(frozen=True)
class AuditRow:
    """One entry as the teacher's page shows it."""

    entry: GradeAuditEntry
    action: str
    actor: str
    student: str
    target: str


#: Entries on one page of the trail; older ones are a link away (a term's trail runs to thousands).
AUDIT_PAGE = 100


@dataclass(frozen=True)
class AuditPage:
    """One page of the trail, newest first, and where the older entries start."""

    rows: list[AuditRow]
    #: The `before` of the next page (the last entry's id), None when these are the oldest.
    older: int | None


def course_trail_page(
    actor: Enrollment,
    *,
    student_id: int | None = None,
    before: int | None = None,
    per_page: int = AUDIT_PAGE,
) -> AuditPage:
    """A page of the course's trail: the `per_page` entries older than entry `before`.

    Raises:
        NotAllowedError: the actor is not a teacher.
        NotFoundError: `before` is not an entry of this course.
    """
    rows = course_trail(actor, student_id=student_id, before=before, limit=per_page + 1)
    older = rows[per_page - 1].entry.id if len(rows) > per_page else None
    return AuditPage(rows[:per_page], older)


def course_trail(
    actor: Enrollment,
    *,
    student_id: int | None = None,
    target_id: int | None = None,
    before: int | None = None,
    limit: int | None = AUDIT_PAGE,
) -> list[AuditRow]:
    """The course's trail, newest first: one student's or one target's, older than `before`.

    Each filter is optional (None: the whole course, from the newest entry); `limit` None reads
    every entry (the CSV export).

    Raises:
        NotAllowedError: the actor is not a teacher.
        NotFoundError: `before` is not an entry of this course.
    """
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers see the grade audit trail.")
    query = select(GradeAuditEntry).where(GradeAuditEntry.course_id == actor.course_id)
    if student_id is not None:
        query = query.where(GradeAuditEntry.student_id == student_id)
    if target_id is not None:
        query = query.where(GradeAuditEntry.target_id == target_id)
    if before is not None:
        anchor = db.session.get(GradeAuditEntry, before)
        if anchor is None or anchor.course_id != actor.course_id:
            raise NotFoundError("That part of the audit trail was not found.")
        query = query.where(
            tuple_(GradeAuditEntry.at, GradeAuditEntry.id) < tuple_(anchor.at, anchor.id)
        )
    entries = list(
        db.session.scalars(
            query.order_by(GradeAuditEntry.at.desc(), GradeAuditEntry.id.desc()).limit(limit)
        )
    )
    people = {e.actor_id for e in entries} | {e.student_id for e in entries}
    names = {
        e.id: e.person.display_name
        for e in db.session.scalars(
            select(Enrollment).where(Enrollment.id.in_([p for p in people if p is not None]))
        )
    }
    statements = dict(
        db.session.execute(
            select(LearningTarget.id, LearningTarget.statement).where(
                LearningTarget.id.in_([e.target_id for e in entries if e.target_id is not None])
            )
        )
        .tuples()
        .all()
    )
    return [
        AuditRow(
            entry=e,
            action=ACTION_LABELS.get(AuditAction(e.action), e.action),
            actor=names.get(e.actor_id, "a removed person") if e.actor_id else "the tool",
            student=names.get(e.student_id, "") if e.student_id else "",
            target=statements.get(e.target_id, "") if e.target_id else "",
        )
        for e in entries
    ]


def retry_failed(actor: Enrollment, *, now: datetime, entry_id: int | None = None) -> int:
    """Send failed scores again (one, or all of the course) and record who asked.

    Raises:
        NotFoundError: the entry is not a failed entry of this course.
    """
    count = grade_sync_status.retry_failed(actor.course_id, now=now, entry_id=entry_id)
    entry = db.session.get(GradeOutboxEntry, entry_id) if entry_id is not None else None
    record(
        actor.course_id,
        actor.id,
        AuditAction.RETRY,
        student_id=entry.enrollment_id if entry is not None else None,
        detail=f"{count} score(s)" + (f", outbox entry {entry_id}" if entry_id else ""),
        now=now,
    )
    return count
