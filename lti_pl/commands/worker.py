"""`lti-pl worker`: send grades in the background (RQ with Redis, else a polling loop).

RQ rather than Celery: RQ needs only Redis (already our optional store), has no broker or
result-backend configuration, and its jobs are plain functions; the outbox in the database stays
the source of truth, so the queue only wakes workers and needs no delivery guarantees of its own.
"""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between outbox polls.")
@click.option("--once", is_flag=True, help="Run one polling cycle and exit.")
@with_appcontext
def command(poll: float, once: bool) -> None:
    """Run the grade worker until interrupted."""
    from lti_pl.web.background import RQ_QUEUE, push_once

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    redis_url = app.config.get("LTI_PL_REDIS_URL")
    if redis_url and not once:
        from redis import Redis
        from rq import Queue, Worker

        connection = Redis.from_url(redis_url)
        click.echo(f"grade worker: RQ queue {RQ_QUEUE}")
        # A safety net: whatever was queued while no worker listened is sent first.
        push_once(app, limit=10_000)
        Worker([Queue(RQ_QUEUE, connection=connection)], connection=connection).work(
            with_scheduler=True
        )
        return
    click.echo(f"grade worker: polling every {poll:g} s")
    while True:
        report = push_once(app, limit=500)
        if report.attempted:
            click.echo(f"sent={report.sent} retry_later={report.retried} failed={report.failed}")
        if once:
            return
        if report.attempted < 500:
            time.sleep(poll)
