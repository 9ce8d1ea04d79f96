"""When jobs run: after the request that asked for them commits, and after scores are committed.

Jobs that talk to the LMS (a roster sync, sending scores) never run inside the request that asked
for them: they start after the request has committed, in a thread (or an RQ job with Redis), so
the page answers at once and the job sees the committed rows. Under TESTING they run inline after
the commit, so tests see their effect without threads.

Scores wake the grade worker through a session hook of this package: any commit that queued
outbox entries or made them pending again (a request, a CLI command, a job) wakes it for their
courses. Services only
write the entries; they leave nothing behind for another layer to act on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from lti_pl.extensions import db
from lti_pl.jobs.grade_delivery import start_worker, wake_grade_worker
from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus

logger = logging.getLogger(__name__)

#: The session's courses with scores queued in the open transaction (this module's own state).
_QUEUED = "lti_pl_jobs_courses_with_new_scores"


def _note_new_scores(session: Session, _flush_context: object) -> None:
    # Pre-flush state: entries inserted, or made pending again (a teacher's retry).
    courses = {
        o.course_id
        for o in (*session.new, *session.dirty)
        if isinstance(o, GradeOutboxEntry) and o.status == OutboxStatus.PENDING
    }
    if courses:
        session.info.setdefault(_QUEUED, set()).update(courses)


def _wake_after_commit(session: Session) -> None:
    courses = session.info.pop(_QUEUED, None)
    if not courses or not has_app_context():
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    for course_id in sorted(courses):
        wake_grade_worker(app, course_id)


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def watch_new_scores() -> None:
    """Wake the grade worker after every commit that queued scores (installed once)."""
    if not event.contains(Session, "after_commit", _wake_after_commit):
        event.listen(Session, "after_flush", _note_new_scores)
        event.listen(Session, "after_commit", _wake_after_commit)
        event.listen(Session, "after_rollback", _forget_after_rollback)


def after_commit(job: Callable[[], object]) -> None:
    """Run `job` after this request commits: inline under TESTING, else in a thread."""
    g.setdefault("lti_pl_after_commit", []).append(job)


def wake_after_commit(course_id: int) -> None:
    """Wake the grade worker for a course after this request commits (e.g. a teacher's retry)."""
    g.setdefault("lti_pl_wake_courses", set()).add(course_id)


def _run_after_commit(app: Flask, jobs: list[Callable[[], object]]) -> None:
    def run(job: Callable[[], object]) -> None:
        with app.app_context():
            try:
                job()
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("background job failed")
            finally:
                if not app.config.get("TESTING"):
                    db.session.remove()

    for job in jobs:
        if app.config.get("TESTING"):
            run(job)
        else:
            threading.Thread(target=run, args=(job,), daemon=True).start()


def install(app: Flask) -> None:
    """Wire the worker hooks, the score watch and the after-request jobs into an app (once)."""
    if app.extensions.get("lti_pl_background_installed"):
        return
    app.extensions["lti_pl_background_installed"] = True
    watch_new_scores()
    hooks: dict[str, Any] = app.extensions.setdefault("lti_pl_worker_hooks", {})
    hooks.setdefault("post_worker_init", lambda _worker: start_worker(app))
    hooks.setdefault("start", lambda: start_worker(app))

    @app.teardown_request
    def _after_request_work(error: BaseException | None) -> None:
        jobs = g.pop("lti_pl_after_commit", [])
        wake = g.pop("lti_pl_wake_courses", set())
        if error is not None:
            return
        for course_id in sorted(wake):
            wake_grade_worker(app, course_id)
        if jobs:
            _run_after_commit(app, jobs)
