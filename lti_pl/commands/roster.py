"""`lti-pl roster sync COURSE_ID`: read the course roster through NRPS now."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_pl.extensions import db
from lti_pl.jobs.roster_sync import sync_roster


@click.group("roster")
def command() -> None:
    """Course rosters (LTI NRPS)."""


@command.command("sync")
@click.argument("course_id", type=int)
@click.option("--full", is_flag=True, help="Read the whole roster, not only the differences.")
@with_appcontext
def sync(course_id: int, full: bool) -> None:
    """Sync COURSE_ID's roster with the LMS."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    status = sync_roster(app, course_id, full=full)
    db.session.commit()
    click.echo(f"course {course_id}: {status}")
    if status.startswith("Failed") or status == "No such course.":
        sys.exit(1)
