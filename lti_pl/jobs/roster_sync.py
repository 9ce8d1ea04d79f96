"""The roster sync job (after a teacher launch, the "Sync now" button, the CLI)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db
from lti_pl.jobs.grade_delivery import sender_for
from lti_pl.lti.nrps import NrpsClient
from lti_pl.lti.service_connector import ServiceError
from lti_pl.models.base import utcnow
from lti_pl.services import job_progress, rosters

logger = logging.getLogger(__name__)
#: Members written between two progress commits (each commit also keeps the members so far).
PROGRESS_EVERY = 25


def _report(progress_id: int | None) -> Callable[[int, int], None]:
    def on_progress(done: int, total: int) -> None:
        if progress_id is None or (done % PROGRESS_EVERY and done != total):
            return
        job_progress.update(progress_id, now=utcnow(), done=done, total=total, state="running")
        db.session.commit()

    return on_progress


def sync_roster(
    app: Flask, course_id: int, *, full: bool = False, progress_id: int | None = None
) -> str:
    """Sync a course roster through NRPS now; returns the status shown to the teacher.

    With `progress_id` (a `job_progress` record), the sync writes how far it got as it goes.
    """
    try:
        platform_id, url, is_full = rosters.roster_source(course_id, full=full)
        client = NrpsClient(sender_for(app).connector(platform_id))
        job_progress.update(progress_id, now=utcnow(), state="running")
        # End the read transaction before calling the LMS: on SQLite a background transaction
        # holds the write lock, and every other request would wait for the LMS to answer.
        db.session.commit()
        roster = client.roster(url)
        result = rosters.apply_roster(
            course_id, roster, now=utcnow(), full=is_full, on_progress=_report(progress_id)
        )
        job_progress.update(
            progress_id,
            now=utcnow(),
            state="done",
            done=len(roster.members),
            total=len(roster.members),
            message=result.summary(),
        )
    except (ServiceError, NotFoundError) as error:
        db.session.rollback()
        rosters.record_failure(course_id, str(error), now=utcnow())
        job_progress.update(progress_id, now=utcnow(), state="failed", message=str(error))
        if isinstance(error, ServiceError):
            logger.warning("roster sync failed course=%s status=%s", course_id, error.status)
        return f"Failed: {error}"
    return result.summary()
