"""Progress of long work a teacher started, stored so the page can poll it.

A roster sync writes its own progress as it applies members (the job commits every few members);
sending many scores is done by the grade worker, whose outbox is the source of truth: the
progress of a bulk send is read back from the course's outbox entries still waiting. A CSV import
of targets commits its progress as it checks the rows, then adds them all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus
from lti_pl.models.jobs import JobProgress
from lti_pl.services.lookups import in_course

ROSTER_SYNC = "roster_sync"
GRADE_PASSBACK = "grade_passback"
TARGET_IMPORT = "target_import"
FINISHED = ("done", "failed")
#: What is counted, per kind of job ("Synced 120 of 300 people").
UNITS = {
    ROSTER_SYNC: ("Synced", "people"),
    GRADE_PASSBACK: ("Sent", "scores"),
    TARGET_IMPORT: ("Imported", "rows"),
}


@dataclass(frozen=True)
class ProgressView:
    """What the page shows (and the JSON endpoint answers)."""

    id: int
    kind: str
    state: str
    done: int
    total: int
    message: str
    text: str

    @property
    def finished(self) -> bool:
        """Whether the job has ended (done or failed)."""
        return self.state in FINISHED

    @property
    def percent(self) -> int:
        """How far, 0-100 (0 while the total is not known)."""
        return round(100 * self.done / self.total) if self.total else 0

    def as_json(self) -> dict[str, object]:
        """The endpoint's answer."""
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "message": self.message,
            "text": self.text,
            "finished": self.finished,
        }


def start(course_id: int, kind: str, *, now: datetime, total: int = 0) -> JobProgress:
    """A new progress record, queued (flushed: the job gets its id)."""
    progress = JobProgress(
        course_id=course_id, kind=kind, state="queued", total=total, started_at=now, updated_at=now
    )
    db.session.add(progress)
    db.session.flush()
    return progress


def update(
    progress_id: int | None,
    *,
    now: datetime,
    done: int | None = None,
    total: int | None = None,
    state: str | None = None,
    message: str | None = None,
) -> None:
    """Record how far a job got (no record: nothing to do)."""
    progress = db.session.get(JobProgress, progress_id) if progress_id is not None else None
    if progress is None:
        return
    if done is not None:
        progress.done = done
    if total is not None:
        progress.total = total
    if state is not None:
        progress.state = state
    if message is not None:
        progress.message = message[:500]
    progress.updated_at = now
    db.session.flush()


def _scores(course_id: int, *statuses: OutboxStatus) -> int:
    """How many of the course's outbox entries are in one of `statuses`."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(GradeOutboxEntry)
            .where(GradeOutboxEntry.course_id == course_id, GradeOutboxEntry.status.in_(statuses))
        )
        or 0
    )


def _text(kind: str, state: str, done: int, total: int, message: str) -> str:
    verb, unit = UNITS.get(kind, ("Done", "items"))
    if state == "queued":
        return "Waiting to start…"
    if state == "failed":
        if kind == TARGET_IMPORT:  # all or nothing: no row was kept
            return message
        return f"Stopped after {done} {unit}: {message}"
    if state == "running" and not total:
        return "Reading from the LMS…"
    line = f"{verb} {done} of {total} {unit}"
    if kind == TARGET_IMPORT and state == "running":
        line = f"Checked {done} of {total} rows"
    if state == "done":
        return f"Finished: {line}." + (f" {message}" if message else "")
    return line + "…"


def _view(progress: JobProgress) -> ProgressView:
    state, done, message = progress.state, progress.done, progress.message
    if progress.kind == GRADE_PASSBACK and state not in FINISHED:
        # Read back from the outbox (reading requests write nothing): what still waits to be sent.
        waiting = _scores(progress.course_id, OutboxStatus.PENDING, OutboxStatus.SENDING)
        done = max(0, progress.total - waiting)
        state = "running" if waiting else "done"
        failed = 0 if waiting else _scores(progress.course_id, OutboxStatus.FAILED)
        message = f"{failed} score(s) failed: see the list below." if failed else ""
    return ProgressView(
        id=progress.id,
        kind=progress.kind,
        state=state,
        done=done,
        total=progress.total,
        message=message,
        text=_text(progress.kind, state, done, progress.total, message),
    )


def progress_of(course_id: int, progress_id: int) -> ProgressView:
    """One job's progress, for a page of its course.

    Raises:
        NotFoundError: no such job in this course.
    """
    return _view(in_course(JobProgress, progress_id, course_id, "No such job in this course."))


def latest(course_id: int, kind: str) -> ProgressView | None:
    """The course's most recent job of a kind (None: never run)."""
    progress_id = db.session.scalar(
        select(JobProgress.id)
        .where(JobProgress.course_id == course_id, JobProgress.kind == kind)
        .order_by(JobProgress.id.desc())
        .limit(1)
    )
    return progress_of(course_id, progress_id) if progress_id is not None else None
