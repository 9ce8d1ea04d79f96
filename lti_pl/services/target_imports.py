"""CSV imports of learning targets, run by a background job with live progress.

The upload is checked at once (its form: encoding, header, CSV syntax) and stored with its
progress record; the job then checks every row, committing its progress as it goes, and adds
all the targets in one transaction that also ends the progress and deletes the stored file.
A job claims its import with a lease; an import never claimed, or whose lease ran out (the
process died), is run again by the worker, at most MAX_ATTEMPTS times.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.jobs import JobProgress, TargetImport
from lti_pl.services import job_progress, targets

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 3


def queue(actor: Enrollment, text: str, *, now: datetime) -> TargetImport:
    """Store an uploaded CSV for the import job (flushed; `progress_id` names its progress).

    Raises:
        InvalidInputError: field "file": the file's form is wrong (see `targets.check_file`).
    """
    rows = targets.check_file(text)
    progress = job_progress.start(actor.course_id, job_progress.TARGET_IMPORT, now=now, total=rows)
    stored = TargetImport(
        course_id=actor.course_id, progress_id=progress.id, body=_stored(text), created_at=now
    )
    db.session.add(stored)
    db.session.flush()
    logger.info("targets import queued course=%s rows=%s", actor.course_id, rows)
    return stored


def due(now: datetime) -> list[int]:
    """Imports to run: never claimed, or left by a job whose lease ran out."""
    return list(
        db.session.scalars(
            select(TargetImport.id)
            .where(or_(TargetImport.lease_until.is_(None), TargetImport.lease_until < now))
            .order_by(TargetImport.id)
        )
    )


def claim(import_id: int, *, now: datetime) -> TargetImport | None:
    """Take an import for one run (None: another job holds it, or it has ended)."""
    taken = db.session.execute(
        update(TargetImport)
        .where(
            TargetImport.id == import_id,
            or_(TargetImport.lease_until.is_(None), TargetImport.lease_until < now),
        )
        .values(lease_until=now + LEASE, attempts=TargetImport.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        return None
    stored = db.session.get(TargetImport, import_id, populate_existing=True)
    return stored


def renew(import_id: int, *, now: datetime) -> None:
    """Keep the lease of a running import."""
    db.session.execute(
        update(TargetImport)
        .where(TargetImport.id == import_id)
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )


def run(
    stored: TargetImport, *, now: datetime, on_progress: Callable[[int, int], None]
) -> targets.ImportResult:
    """Import a claimed file in the open transaction; ends its progress and deletes the file.

    Raises:
        InvalidInputError: a bad row; nothing was added (the caller rolls back and calls `fail`).
    """
    result = targets.import_csv(
        stored.course_id, _unstored(stored.body), now=now, on_progress=on_progress
    )
    progress = db.session.get(JobProgress, stored.progress_id)
    total = progress.total if progress is not None else result.targets
    job_progress.update(
        stored.progress_id, now=now, state="done", done=total, total=total, message=result.summary()
    )
    db.session.delete(stored)
    db.session.flush()
    return result


def fail(import_id: int, reason: str, *, now: datetime) -> None:
    """End an import that will not succeed: its progress says why; the file is deleted."""
    stored = db.session.get(TargetImport, import_id)
    if stored is None:
        return
    job_progress.update(stored.progress_id, now=now, state="failed", message=_fit(reason))
    db.session.delete(stored)
    db.session.flush()


def _fit(reason: str, limit: int = 500) -> str:
    """The reason within the progress record's 500 characters, cut at a row."""
    if len(reason) <= limit:
        return reason
    more = " (and more rows: fix these and import again)"
    cut = reason[: limit - len(more)]
    at_row = cut.rfind(" Row ")
    return (cut[:at_row] if at_row > 0 else cut).rstrip() + more


def _stored(text: str) -> str:
    """The upload as a JSON string: PostgreSQL text cannot hold NUL, whose row the job refuses."""
    return json.dumps(text)


def _unstored(body: str) -> str:
    return str(json.loads(body))
