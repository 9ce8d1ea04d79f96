"""`lti-pl grades push`: send the due scores of the grade outbox once."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_pl.jobs.grade_delivery import push_once


@click.group("grades")
def command() -> None:
    """Grades sent to LMS gradebooks (LTI AGS)."""


@command.command("push")
@click.option("--limit", default=1000, show_default=True, type=int)
@click.option("--course", "course_id", default=None, type=int, help="Only this course.")
@with_appcontext
def push(limit: int, course_id: int | None) -> None:
    """Send due scores once (each committed as it is sent)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    report = push_once(app, course_id=course_id, limit=limit)
    click.echo(
        f"sent={report.sent} retry_later={report.retried} failed={report.failed} "
        f"superseded={report.superseded}"
    )
