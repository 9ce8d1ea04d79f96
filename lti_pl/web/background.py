"""Background work wired to the app: the grade worker, RQ wake-ups, and after-launch jobs.

Jobs that talk to the LMS (a roster sync, sending scores) never run inside the request that asked
for them: they start after the request has committed, in a thread (or an RQ job with Redis), so
the page answers at once and the job sees the committed rows. Under TESTING they run inline after
the commit, so tests see their effect without threads.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g

from lti_pl.domain import grade_delivery
from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db
from lti_pl.lti.ags import AgsSender
from lti_pl.models.base import utcnow
from lti_pl.services import grade_passback, line_items, outbox, outbox_delivery
from lti_pl.services.worker import OutboxWorker

logger = logging.getLogger(__name__)
RQ_QUEUE = "lti_pl_grades"
WORKER_KEY = "lti_pl_grade_worker"


def sender_for(app: Flask) -> AgsSender:
    """The AGS sender of an app (shares the runtime's token store)."""
    runtime = app.extensions["lti_pl"]
    sender = app.extensions.get("lti_pl_ags_sender")
    if sender is None:
        sender = AgsSender(runtime.tool_conf, runtime.store, runtime.timeout)
        app.extensions["lti_pl_ags_sender"] = sender
    return sender  # type: ignore[no-any-return]


def retry_policy(app: Flask) -> grade_delivery.RetryPolicy:
    """The outbox retry policy from the LTI_PL_GRADE_* settings (defaults: DEFAULT_POLICY)."""
    default = grade_delivery.DEFAULT_POLICY
    return grade_delivery.RetryPolicy(
        base=float(app.config.get("LTI_PL_GRADE_RETRY_BASE", default.base)),
        cap=float(app.config.get("LTI_PL_GRADE_RETRY_MAX", default.cap)),
        max_attempts=int(app.config.get("LTI_PL_GRADE_MAX_ATTEMPTS", default.max_attempts)),
        lease=float(app.config.get("LTI_PL_GRADE_LEASE", default.lease)),
        max_restamps=default.max_restamps,
    )


def push_once(
    app: Flask, *, course_id: int | None = None, limit: int = 100
) -> outbox_delivery.PushReport:
    """Send due entries once, in a fresh app context."""
    with app.app_context():
        try:
            return outbox_delivery.push_pending(
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
    """The worker mode: thread (in-process), rq (Redis wakes `lti-pl worker`), external.

    "auto" (the default) is rq when LTI_PL_REDIS_URL is set, else thread; rq without Redis
    falls back to thread.
    """
    mode = str(app.config.get("LTI_PL_WORKER") or "auto")
    has_redis = bool(app.config.get("LTI_PL_REDIS_URL"))
    if mode == "auto":
        return "rq" if has_redis else "thread"
    if mode == "rq" and not has_redis:
        return "thread"
    return mode


def start_worker(app: Flask, poll_interval: float = 5.0) -> OutboxWorker | None:
    """Start the in-process grade worker thread (serve and demo; never in tests)."""
    if worker_mode(app) != "thread":
        return None
    worker: OutboxWorker | None = app.extensions.get(WORKER_KEY)
    if worker is None:
        worker = OutboxWorker(lambda: push_once(app).attempted, poll_interval)
        app.extensions[WORKER_KEY] = worker
    return worker.start()


def wake_grade_worker(course_id: int) -> None:
    """Ask for the course's scores to be sent soon (after this request commits)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
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
    from datetime import timedelta

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
        wait = outbox.next_due_in(course_id, utcnow())
        db.session.remove()
    if wait is not None:
        enqueue_course_push(app, course_id, delay=max(1.0, wait))
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}


def sync_roster(app: Flask, course_id: int, *, full: bool = False) -> str:
    """Sync a course roster through NRPS now; returns the status shown to the teacher."""
    from lti_pl.lti.nrps import NrpsClient
    from lti_pl.lti.service_connector import ServiceError
    from lti_pl.services import rosters

    try:
        platform_id, url, is_full = rosters.roster_source(course_id, full=full)
        client = NrpsClient(sender_for(app).connector(platform_id))
        # End the read transaction before calling the LMS: on SQLite a background transaction
        # holds the write lock, and every other request would wait for the LMS to answer.
        db.session.commit()
        roster = client.roster(url)
        result = rosters.apply_roster(course_id, roster, now=utcnow(), full=is_full)
    except ServiceError as error:
        db.session.rollback()
        rosters.record_failure(course_id, str(error), now=utcnow())
        logger.warning("roster sync failed course=%s status=%s", course_id, error.status)
        return f"Failed: {error}"
    except NotFoundError as error:
        db.session.rollback()
        rosters.record_failure(course_id, str(error), now=utcnow())
        return f"Failed: {error}"
    return result.summary()


def discover_line_item(app: Flask, course_id: int, resource_link_row_id: int) -> str:
    """Find (or create) through AGS the gradebook column of a link launched without one.

    A deep-linked link that asks for grades but whose launch carried no `lineitem` claim (the
    platform ignored the deep-linking line item, or an admin added the link by hand) gets a line
    item found by (resource link, resource id, tag) or created there; the students' current
    grades are then queued for it. Returns what happened, for the log.
    """
    from lti_pl.lti.service_connector import ServiceError

    plan = line_items.line_item_discovery(course_id, resource_link_row_id)
    if plan is None:
        return "nothing to discover"
    try:
        client = sender_for(app).client(plan.platform_id, plan.scopes)
        db.session.commit()  # no transaction open while the LMS answers (SQLite's write lock)
        item = grade_passback.find_or_create_line_item(
            client,
            course_id=course_id,
            line_items_url=plan.line_items_url,
            passback=plan.passback,
            label=plan.label,
            score_maximum=plan.passback.score_maximum or 100.0,
            resource_link_id=plan.resource_link_id,
        )
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        logger.warning(
            "line item discovery failed course=%s link=%s status=%s",
            course_id,
            resource_link_row_id,
            error.status,
        )
        return f"Failed: {error}"
    if item is None:
        return "target not in the course"
    logger.info("line item discovered course=%s line_item=%s", course_id, item.id)
    if db.session.info.pop("lti_pl_scores_queued", None):
        wake_grade_worker(course_id)
    return f"line item {item.id}"


def after_commit(job: Callable[[], object]) -> None:
    """Run `job` after this request commits: inline under TESTING, else in a thread."""
    g.setdefault("lti_pl_after_commit", []).append(job)


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
    """Wire the worker hooks and the after-request wake-up into an app (once)."""
    if app.extensions.get("lti_pl_background_installed"):
        return
    app.extensions["lti_pl_background_installed"] = True
    hooks: dict[str, Any] = app.extensions.setdefault("lti_pl_worker_hooks", {})
    hooks.setdefault("post_worker_init", lambda _worker: start_worker(app))
    hooks.setdefault("start", lambda: start_worker(app))

    @app.teardown_request
    def _after_request_work(error: BaseException | None) -> None:
        jobs = g.pop("lti_pl_after_commit", [])
        queued = db.session.info.pop("lti_pl_scores_queued", set())
        if error is not None:
            return
        for course_id in sorted(queued):
            wake_grade_worker(course_id)
        if jobs:
            _run_after_commit(app, jobs)
