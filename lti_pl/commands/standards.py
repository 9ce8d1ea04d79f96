"""`lti-pl standards import FILE|URL --platform ISSUER` and `lti-pl standards refit`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_pl.domain.errors import DomainError
from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.services import standards_import


@click.group("standards")
def command() -> None:
    """CASE standards frameworks and readiness."""


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@command.command("import")
@click.argument("source")
@click.option(
    "--platform", "issuer", required=True, help="The LMS's issuer (lti-pl platforms list)."
)
@with_appcontext
def import_command(source: str, issuer: str) -> None:
    """Import a CASE framework from a CFPackage JSON FILE or a CASE provider URL.

    A URL is …/ims/case/v1p0/CFDocuments (every framework) or …/CFPackages/{sourcedId}.
    Everything is checked first; on any error nothing is imported.
    """
    from lti_pl.schema import ensure_schema
    from lti_pl.services import standards as service

    ensure_schema()
    now = utcnow()
    try:
        issuer = service.issuer_for_cli(issuer)
        if source.startswith(("http://", "https://")):
            results = standards_import.import_from_provider(
                issuer, source, now=now, policy=standards_import.provider_policy(current_app.config)
            )
        else:
            path = Path(source)
            try:
                raw = path.read_bytes()
            except OSError as error:
                _fail(f"{source}: cannot read ({error.strerror or error})")
                return
            results = standards_import.import_data(
                issuer, standards_import.parse_json(raw, source), source=path.name, now=now
            )
    except DomainError as error:
        db.session.rollback()
        _fail(str(error))
        return
    db.session.commit()
    for result in results:
        click.echo(
            f"{'imported' if result.is_new else 'updated'} {result.framework.identifier} "
            f"\u201c{result.framework.title}\u201d: {result.created} new, "
            f"{result.updated} changed, {result.retired} retired"
        )


@command.command("refit")
@click.option("--platform", "issuer", default=None, help="Only this issuer (default: every one).")
@with_appcontext
def refit_command(issuer: str | None) -> None:
    """Fit the readiness (BKT) parameters of every standard from all evidence, now."""
    from lti_pl.schema import ensure_schema
    from lti_pl.services import readiness

    ensure_schema()
    for name in [issuer] if issuer else readiness.issuers():
        fits = readiness.refit(name, now=utcnow())
        db.session.commit()
        click.echo(f"{name}: {len(fits)} standards fitted")
