"""`lti-pl worker`: send grades in the background (RQ with Redis, else a polling loop).

RQ rather than Celery: RQ needs only Redis (already our optional store), has no broker or
result-backend configuration, and its jobs are plain functions; the outbox in the database stays
the source of truth, so the queue only wakes workers and needs no delivery guarantees of its own.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from lti_pl.extensions import db
from lti_pl.jobs.grade_delivery import RQ_QUEUE, worker_cycle
from lti_pl.jobs.worker import OutboxWorker

logger = logging.getLogger(__name__)

#: Entries per polling cycle: each cycle reads the clock once (leases, backoff and Retry-After
#: are computed from it), so a cycle stays short.
CYCLE_LIMIT = 50


@click.command("worker")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between outbox polls.")
@click.option("--once", is_flag=True, help="Run one polling cycle and exit.")
@with_appcontext
def command(poll: float, once: bool) -> None:
    """Run the grade worker until SIGTERM or Ctrl-C (it stops after the current cycle)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    redis_url = app.config.get("LTI_PL_REDIS_URL")
    if redis_url and not once:
        _run_rq(app, redis_url, poll)
        return
    _run_polling(app, poll, once)


def _run_rq(app: Flask, redis_url: str, poll: float) -> None:
    from redis import Redis
    from rq import Queue, Worker

    connection = Redis.from_url(redis_url)
    click.echo(f"grade worker: RQ queue {RQ_QUEUE}")
    # A safety net: whatever was queued while no worker listened is sent first.
    _cycle(app, limit=10_000)
    # RQ only runs what is enqueued: a job killed mid-send never re-enqueues itself, and the
    # sweep above ran while its leases were still live. So a polling thread beside RQ takes
    # over expired leases (and purges nonces) within lease + one poll interval.
    sweeper = OutboxWorker(lambda: _cycle(app, limit=CYCLE_LIMIT), poll).start()
    try:
        # RQ installs its own SIGTERM / SIGINT handlers (warm shutdown after the current job).
        Worker([Queue(RQ_QUEUE, connection=connection)], connection=connection).work(
            with_scheduler=True
        )
    finally:
        sweeper.stop()


def _run_polling(app: Flask, poll: float, once: bool) -> None:
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("grade worker stopping signal=%s", signum)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"grade worker: polling every {poll:g} s")
    try:
        while not stop.is_set():
            attempted = _cycle(app, limit=CYCLE_LIMIT)
            if once:
                return
            if attempted < CYCLE_LIMIT:
                stop.wait(poll)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("grade worker stopped")


def _cycle(app: Flask, *, limit: int) -> int:
    """One polling cycle; a database or network failure is logged and the loop goes on.

    The database may restart or drop connections under the worker: the cycle's session is
    discarded (`push_once` removes it), the pool's pre-ping replaces dead connections, and
    claimed entries whose outcome was not recorded are sent again when their lease ends.
    """
    try:
        report = worker_cycle(app, limit=limit)
    except SQLAlchemyError as error:
        logger.warning("grade worker: database unavailable (%s); retrying", type(error).__name__)
        _discard_pool(app)
        time.sleep(0.5)
        return 0
    if report.attempted:
        click.echo(
            f"sent={report.sent} retry_later={report.retried} failed={report.failed} "
            f"superseded={report.superseded}"
        )
    return int(report.attempted)


def _discard_pool(app: Flask) -> None:
    """Drop pooled connections after a database failure (the next cycle opens fresh ones)."""
    with app.app_context():
        try:
            db.engine.dispose()
        except Exception:  # disposing a pool of dead connections must not stop the worker
            logger.exception("grade worker: could not reset the connection pool")
