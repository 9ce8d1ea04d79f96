"""Syncing a course roster through NRPS (after a teacher launch, the "Sync now" button, the CLI)."""

from __future__ import annotations

import logging

from flask import Flask

from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db
from lti_pl.jobs.grade_delivery import sender_for
from lti_pl.lti.nrps import NrpsClient
from lti_pl.lti.service_connector import ServiceError
from lti_pl.models.base import utcnow
from lti_pl.services import rosters

logger = logging.getLogger(__name__)


def sync_roster(app: Flask, course_id: int, *, full: bool = False) -> str:
    """Sync a course roster through NRPS now; returns the status shown to the teacher."""
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
