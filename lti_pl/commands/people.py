"""`lti-pl people export|erase`: a person's data across courses, on request (FERPA / GDPR)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.services.people import Holdings


@click.group("people")
def command() -> None:
    """A person's data: export or erase it (by platform and LMS user id)."""


def _who(function: click.decorators.FC) -> click.decorators.FC:
    function = click.option(
        "--platform", required=True, help="The platform's row id or issuer (`platforms list`)."
    )(function)
    return click.option("--user", "user_id", required=True, help="The LMS user id (`sub`).")(
        function
    )


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def write_export(holdings: Holdings, out: Path, upload_folder: str) -> int:
    """Write rows as JSON and copy the files; returns the number of files copied."""
    from lti_pl.services.uploads import stored_path

    out.mkdir(parents=True, exist_ok=True)
    (out / "rows.json").write_text(json.dumps(holdings.rows, indent=1, default=str))
    copied = 0
    if holdings.files:
        (out / "files").mkdir(exist_ok=True)
    for name in holdings.files:
        source = stored_path(upload_folder, name)
        if source.exists():
            shutil.copyfile(source, out / "files" / name)
            copied += 1
    return copied


@command.command("export")
@_who
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@with_appcontext
def export(platform: str, user_id: str, out: Path) -> None:
    """Write everything stored about a person to OUT (rows.json and files/)."""
    from lti_pl.services import people

    try:
        holdings = people.export_person(platform, user_id)
    except NotFoundError as error:
        _fail(str(error))
    copied = write_export(holdings, out, current_app.config["LTI_PL_UPLOAD_FOLDER"])
    rows = sum(holdings.counts().values())
    click.echo(f"exported {rows} rows in {len(holdings.counts())} tables and {copied} files")


@command.command("erase")
@_who
@click.option("--dry-run", is_flag=True, help="Show what would be erased; change nothing.")
@click.option("--reference", default="", help="Your request or ticket number, for the audit.")
@with_appcontext
def erase(platform: str, user_id: str, dry_run: bool, reference: str) -> None:
    """Erase a person's rows and files in every course; an audit record says that it happened."""
    from lti_pl.services import people

    folder = current_app.config["LTI_PL_UPLOAD_FOLDER"]
    try:
        if dry_run:
            holdings = people.export_person(platform, user_id)
        else:
            holdings = people.erase_person(
                platform, user_id, upload_folder=folder, now=utcnow(), reference=reference
            )
    except NotFoundError as error:
        db.session.rollback()
        _fail(str(error))
    verb = "would erase" if dry_run else "erased"
    for table, count in holdings.counts().items():
        click.echo(f"{verb} {count} {table}")
    click.echo(f"{verb} {len(holdings.files)} files")
    if dry_run:
        db.session.rollback()
        return
    db.session.commit()
