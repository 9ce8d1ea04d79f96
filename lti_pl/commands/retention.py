"""`lti-pl courses purge --older-than DAYS`: export and purge courses nobody launched for long."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_pl.extensions import db
from lti_pl.models.base import utcnow


@click.group("courses")
def command() -> None:
    """Courses: retention."""


@command.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(1, 36500),
    required=True,
    help="Days since the course's latest launch.",
)
@click.option("--dry-run", is_flag=True, help="List the courses; change nothing.")
@click.option(
    "--export",
    "export_to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each course's rows and files to DIR/course-<id> before purging.",
)
@with_appcontext
def purge(days: int, dry_run: bool, export_to: Path | None) -> None:
    """Purge courses not launched for DAYS days (export them first with --export DIR)."""
    from lti_pl.commands.people import write_export
    from lti_pl.services import retention

    folder = current_app.config["LTI_PL_UPLOAD_FOLDER"]
    courses = retention.stale_courses(utcnow() - timedelta(days=days))
    for course in courses:
        course_id = course.id
        holdings = retention.course_holdings(course_id)
        rows = sum(holdings.counts().values())
        if export_to is not None:
            write_export(holdings, export_to / f"course-{course_id}", folder)
        if dry_run:
            click.echo(f"would purge course {course_id}: {rows} rows, {len(holdings.files)} files")
            continue
        retention.purge_course(course_id, folder)
        db.session.commit()  # per course: one failure does not undo the others
        click.echo(f"purged course {course_id}: {rows} rows, {len(holdings.files)} files")
    if dry_run:
        db.session.rollback()
    click.echo(f"{len(courses)} courses not launched for {days} days")
