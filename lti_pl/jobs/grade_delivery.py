"""Sending grades: one worker cycle, the in-process thread, and RQ jobs woken through Redis.

Every way of running the grade worker (the thread inside `lti-pl serve`, `lti-pl worker` polling
or on RQ, `lti-pl grades push`) runs the same `worker_cycle`: push the due outbox entries, whose
expired leases count as due, purge expired used nonces, run the targets CSV imports that no
job is running (a process that died mid-import), and refit readiness where it is due.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import timedelta

from flask import Flask

from lti_pl.domain.grade_delivery import DEFAULT_POLICY, RetryPolicy
from lti_pl.extensions import db
from lti_pl.jobs.readiness_refit import refit_readiness
from lti_pl.jobs.target_import import resume_target_imports
from lti_pl.jobs.worker import OutboxWorker, mode_for
from lti_pl.lti.ags import AgsSender
from lti_pl.lti.launch_storage import purge_expired_nonces
from lti_pl.models.base import utcnow
from lti_pl.services import grades
from lti_pl.services.outbox_delivery import PushReport

logger = logging.getLogger(__name__)
RQ_QUEUE = "lti_pl_grades"
WORKER_KEY = "lti_pl_grade_worker"
DEFAULT_POLL = 5.0


def sender_for(app: Flask) -> AgsSender:
    """The AGS sender of an app (shares the runtime's token store)."""
    runtime = app.extensions["lti_pl"]
    sender = app.extensions.get("lti_pl_ags_sender")
    if sender is None:
        sender = AgsSender(runtime.tool_conf, runtime.store, runtime.timeout)
        app.extensions["lti_pl_ags_sender"] = sender
    return sender  # type: ignore[no-any-return]


def retry_policy(app: Flask) -> RetryPolicy:
    """The outbox retry policy from the LTI_PL_GRADE_* settings (defaults: DEFAULT_POLICY)."""
    default = DEFAULT_POLICY
    return RetryPolicy(
        base=float(app.config.get("LTI_PL_GRADE_RETRY_BASE", default.base)),
        cap=float(app.config.get("LTI_PL_GRADE_RETRY_MAX", default.cap)),
        max_attempts=int(app.config.get("LTI_PL_GRADE_MAX_ATTEMPTS", default.max_attempts)),
        lease=float(app.config.get("LTI_PL_GRADE_LEASE", default.lease)),
        max_restamps=default.max_restamps,
    )


def push_once(app: Flask, *, course_id: int | None = None, limit: int = 100) -> PushReport:
    """Send due entries once, in a fresh app context."""
    with app.app_context():
        try:
            return grades.push_pending(
                sender_for(app),
                now=utcnow(),
                limit=limit,
                policy=retry_policy(app),
                course_id=course_id,
                rand=random.random,
            )
        finally:
            db.session.remove()


def worker_mode(app: Flask) -> str:
    """The app's worker mode (see `jobs.worker.mode_for`)."""
    return mode_for(app.config)


def purge_nonces(app: Flask) -> int:
    """Delete used launch nonces past their expiry (the table grows by one row a launch)."""
    with app.app_context():
        try:
            purged = purge_expired_nonces(utcnow())
            db.session.commit()
        finally:
            db.session.remove()
    if purged:
        logger.info("purged expired nonces count=%s", purged)
    return purged


def worker_cycle(app: Flask, *, limit: int = 100) -> PushReport:
    """One cycle of any worker: send, purge nonces, resume imports, refit readiness.

    In that order: what is due goes to the LMS first; the readiness fit, a hint for teachers, may
    take seconds and runs only where it is due (`jobs.readiness_refit`).
    """
    report = push_once(app, limit=limit)
    purge_nonces(app)
    resume_target_imports(app)
    refit_readiness(app)
    return report


def start_worker(app: Flask, poll_interval: float = DEFAULT_POLL) -> OutboxWorker | None:
    """Start the in-process grade worker thread (serve and demo; never in tests)."""
    if worker_mode(app) != "thread":
        return None
    worker: OutboxWorker | None = app.extensions.get(WORKER_KEY)
    if worker is None:
        worker = OutboxWorker(lambda: worker_cycle(app).attempted, poll_interval)
        app.extensions[WORKER_KEY] = worker
    return worker.start()


def wake_grade_worker(app: Flask, course_id: int) -> None:
    """Ask for the course's scores to be sent soon (call after the scores are committed)."""
    mode = worker_mode(app)
    if mode == "thread":
        worker = app.extensions.get(WORKER_KEY)
        if worker is not None:
            worker.wake()
    elif mode == "rq":
        try:
            enqueue_course_push(app, course_id)
        except Exception as error:  # Redis down: the polling `lti-pl worker` still sends
            logger.warning(
                "could not enqueue grade push course=%s: %s", course_id, type(error).__name__
            )


def enqueue_course_push(app: Flask, course_id: int, delay: float | None = None) -> None:
    """Enqueue the RQ job "push course outbox" (deduplicated per course while queued)."""
    from redis import Redis
    from rq import Queue

    queue = Queue(RQ_QUEUE, connection=Redis.from_url(app.config["LTI_PL_REDIS_URL"]))
    job_id = f"push-course-{course_id}"
    existing = queue.fetch_job(job_id)
    if existing is not None and existing.get_status(refresh=True) in ("queued", "scheduled"):
        return
    if delay:
        queue.enqueue_in(timedelta(seconds=delay), push_course_job, course_id, job_id=job_id)
    else:
        queue.enqueue(push_course_job, course_id, job_id=job_id)


_job_app: Flask | None = None
_job_lock = threading.Lock()


def push_course_job(course_id: int) -> dict[str, int]:
    """RQ job: send the course's due scores; re-enqueue itself for the next retry time."""
    global _job_app
    with _job_lock:
        if _job_app is None:
            from lti_pl import create_app

            _job_app = create_app()
    app = _job_app
    report = push_once(app, course_id=course_id, limit=1000)
    with app.app_context():
        wait = grades.next_due_in(course_id, utcnow())
        db.session.remove()
    if wait is not None:
        enqueue_course_push(app, course_id, delay=max(1.0, wait))
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}
