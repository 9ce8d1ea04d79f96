"""Wire the sandbox to the tool: register it the way an admin would, and seed the demo course."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask

from lti_pl.extensions import db
from lti_pl.sandbox.platform import SandboxPlatform
from lti_pl.services.platforms import import_registrations

logger = logging.getLogger(__name__)


def register_sandbox(app: Flask, platform: SandboxPlatform) -> int:
    """Register the sandbox with the tool through `import_registrations` and commit.

    The same code as `lti-pl platforms import FILE`, fed the sandbox's tool-config JSON.

    Args:
        app: the tool.
        platform: the running sandbox (its URL is its issuer).

    Returns:
        The tool's Platform id of the sandbox registration.
    """
    with app.app_context():
        imported = import_registrations(platform.tool_config())
        for registration in imported:
            registration.is_sandbox = True
        db.session.commit()
        platform_id = imported[0].id
    app.extensions["lti_pl"].registrations.clear()
    app.extensions["lti_pl"].store.delete("frame-ancestors")
    logger.info("sandbox registered platform=%s", platform_id)
    return platform_id


def seed_demo_course(
    app: Flask, platform: SandboxPlatform, *, now: datetime, content: bool = True
) -> bool:
    """Fill the demo course (people, targets, boards, profiles, evidence) once.

    Args:
        app: the tool.
        platform: the running sandbox.
        now: the seeding time.
        content: False for a blank course (people only).

    Returns:
        False when the course was already seeded (a second `lti-pl demo` keeps its data).
    """
    from lti_pl.sandbox.seed import seed

    with app.app_context():
        seeded = seed(platform, now=now, content=content)
        db.session.commit()
    return seeded


def prepare_tool(app: Flask, *, now: datetime) -> None:
    """Bring the tool's database to the current schema and make sure it has a signing key."""
    from lti_pl.lti import keys
    from lti_pl.schema import ensure_schema

    with app.app_context():
        ensure_schema()
        keys.ensure_key(now)
        db.session.commit()
