"""The `lti-pl` command: click groups (nouns) with commands (verbs), each as thin as a view."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from lti_pl import create_app
from lti_pl.commands import demo, grades, mastery, people, retention, roster, standards, worker
from lti_pl.database import SERVE_THREADS
from lti_pl.domain.errors import InvalidInputError
from lti_pl.extensions import db
from lti_pl.models.base import utcnow


def _make_app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_make_app, add_default_commands=False)
def main() -> None:
    """lti_pl: personalized learning inside the LMS (LTI 1.3)."""


def fail(message: str) -> None:
    """Exit 2 with a one-line reason."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app's CLI (some live with their feature, in commands/)."""
    for command in (serve, platforms, keys, schema):
        app.cli.add_command(command)
    for module in (mastery, roster, grades, worker, demo, standards, people, retention):
        app.cli.add_command(module.command)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Processes (default: 1 without Redis).")
@click.option("--threads", default=SERVE_THREADS, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, workers: int | None, threads: int) -> None:
    """Run the tool with gunicorn (a production WSGI server)."""
    from lti_pl.server import run_gunicorn

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_gunicorn(app, host=host, port=port, workers=workers, threads=threads)


@click.group()
def platforms() -> None:
    """Platforms (LMS registrations)."""


@platforms.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def platforms_import(file: Path) -> None:
    """Register platforms from a pylti1p3 tool-config JSON FILE (idempotent)."""
    from lti_pl.schema import ensure_schema
    from lti_pl.services import platforms as service

    try:
        data: Any = json.loads(file.read_text())
    except FileNotFoundError:
        fail(f"{file}: no such file")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        fail(f"{file}: not valid JSON ({error})")
    ensure_schema()
    try:
        imported = service.import_registrations(data)
    except InvalidInputError as error:
        db.session.rollback()
        fail(f"{file}: {error}")
    db.session.commit()
    current_app.extensions["lti_pl"].registrations_changed()
    for platform in imported:
        click.echo(
            f"registered {platform.issuer} client_id={platform.client_id} "
            f"deployments={','.join(d.deployment_id for d in platform.deployments)}"
        )


@platforms.command("invite")
@click.option(
    "--hours", type=float, default=None, help="How long the link works (LTI_PL_INVITE_HOURS)."
)
@with_appcontext
def platforms_invite(hours: float | None) -> None:
    """Create a one-time Dynamic Registration link to paste into the LMS."""
    from datetime import timedelta

    from lti_pl.schema import ensure_schema
    from lti_pl.services import registration

    valid = hours if hours is not None else float(current_app.config["LTI_PL_INVITE_HOURS"])
    if not 0 < valid <= 24 * 90:
        fail("--hours must be between 0 and 2160")
    ensure_schema()
    invite, secret = registration.create_invite(utcnow(), timedelta(hours=valid))
    db.session.commit()
    base = current_app.config["LTI_PL_BASE_URL"] or "https://YOUR-TOOL-HOST"
    click.echo(f"{base}/lti/register/{secret}")
    click.echo(
        f"one registration, until {invite.expires_at:%Y-%m-%d %H:%M} UTC: paste it as the "
        "LMS's dynamic registration (tool) URL",
        err=True,
    )


@platforms.command("list")
@with_appcontext
def platforms_list() -> None:
    """Show every registration."""
    from lti_pl.schema import ensure_schema
    from lti_pl.services import platforms as service

    ensure_schema()
    rows = service.list_platforms()
    if not rows:
        click.echo("no platforms registered: run `lti-pl platforms import FILE`")
    for p in rows:
        deployments = ",".join(d.deployment_id for d in p.deployments) or "-"
        jwks = p.key_set_url or "inline"
        click.echo(f"{p.issuer}\tclient_id={p.client_id}\tdeployments={deployments}\tjwks={jwks}")


@click.group()
def keys() -> None:
    """The tool's signing keys."""


@keys.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Add a new signing key; the previous public key stays in the JWKS for the grace period."""
    from lti_pl.lti import keys as tool_keys
    from lti_pl.schema import ensure_schema

    ensure_schema()
    key = tool_keys.rotate(utcnow())
    db.session.commit()
    current_app.extensions["lti_pl"].tool_conf.forget_signing_key()
    click.echo(
        f"new signing key kid={key.kid}; retired keys stay published for "
        f"{current_app.config['LTI_PL_KEY_GRACE_DAYS']} days"
    )


@click.group("schema")
def schema() -> None:
    """The database schema (see also `lti-pl db upgrade`)."""


@schema.command("ensure")
@with_appcontext
def schema_ensure() -> None:
    """Bring the database to the current schema."""
    from lti_pl.schema import ensure_schema

    ensure_schema()
    click.echo("schema is current")


if __name__ == "__main__":
    main()
