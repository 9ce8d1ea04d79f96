"""The CSV import of learning targets (after the upload's request commits; the worker retries).

Progress is committed as the rows are checked (nothing of the import is written yet); the targets,
the end of the progress and the deletion of the stored file are committed together, so an import
interrupted at any point is either wholly done or run again from the start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

from lti_pl.domain.errors import InvalidInputError
from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.services import job_progress, target_imports

logger = logging.getLogger(__name__)
#: Rows checked between two progress commits.
PROGRESS_EVERY = 25


def _report(import_id: int, progress_id: int) -> Callable[[int, int], None]:
    def on_progress(done: int, total: int) -> None:
        if done % PROGRESS_EVERY and done != total:
            return
        now = utcnow()
        job_progress.update(progress_id, now=now, done=done, total=total, state="running")
        target_imports.renew(import_id, now=now)
        db.session.commit()

    return on_progress


def run_target_import(import_id: int) -> str:
    """Run one stored import now, inside an app context; returns what the teacher is told."""
    stored = target_imports.claim(import_id, now=utcnow())
    if stored is None:
        db.session.rollback()
        return "Already running or finished."
    progress_id = stored.progress_id
    if stored.attempts > target_imports.MAX_ATTEMPTS:
        reason = "Nothing was imported: the import stopped several times. Upload the file again."
        target_imports.fail(import_id, reason, now=utcnow())
        db.session.commit()
        return reason
    job_progress.update(progress_id, now=utcnow(), state="running", done=0)
    db.session.commit()
    try:
        result = target_imports.run(
            stored, now=utcnow(), on_progress=_report(import_id, progress_id)
        )
    except InvalidInputError as error:
        db.session.rollback()
        target_imports.fail(import_id, str(error), now=utcnow())
        db.session.commit()
        return str(error)
    db.session.commit()
    return result.summary()


def resume_target_imports(app: Flask) -> int:
    """Run the imports nobody runs (queued, or left by a dead process); returns how many ran."""
    ran = 0
    with app.app_context():
        try:
            for import_id in target_imports.due(utcnow()):
                try:
                    run_target_import(import_id)
                    ran += 1
                except Exception:  # the lease runs out and a later cycle tries again
                    db.session.rollback()
                    logger.exception("targets import failed import=%s", import_id)
        finally:
            db.session.remove()
    return ran
