"""Grades already earned reach a column created by deep linking, without waiting for a launch.

The LMS creates the columns of a deep-linking response only when the browser has posted it, so
after the response is made a thread looks them up through AGS (by resource id and tag) a few
times over the next minute; each one found becomes a LineItem row whose students' current
grades are queued at once (`record_line_item` → `send_current_grades`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from flask import Flask

from lti_pl.extensions import db
from lti_pl.lti.ags import SCOPE_LINEITEM
from lti_pl.models.base import utcnow
from lti_pl.models.courses import Course
from lti_pl.services.deep_linking import PlacedColumn, record_placed_column

logger = logging.getLogger(__name__)

#: Seconds between look-ups (the LMS answers the browser's post within a few seconds).
DELAYS = (1.0, 1.0, 2.0, 3.0, 5.0, 8.0, 15.0, 30.0)


def start(app: Flask, course_id: int, columns: Sequence[PlacedColumn]) -> threading.Thread | None:
    """Look the new columns up in the background (a daemon thread); None when there are none.

    `LTI_PL_COLUMN_BACKFILL = False` turns it off (the test suite does, except where tested:
    a thread polling for a minute would outlive its test).
    """
    if not columns or not app.config.get("LTI_PL_COLUMN_BACKFILL", True):
        return None
    thread = threading.Thread(
        target=backfill,
        args=(app, course_id, list(columns)),
        kwargs={"delays": DELAYS},
        daemon=True,
        name="column-backfill",
    )
    thread.start()
    return thread


def backfill(
    app: Flask,
    course_id: int,
    columns: list[PlacedColumn],
    *,
    delays: Sequence[float] = DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Find each placed column through AGS and queue its grades; returns how many were found."""
    from lti_pl.jobs.grade_delivery import sender_for
    from lti_pl.lti.service_connector import ServiceError

    remaining = list(columns)
    found = 0
    for delay in delays:
        sleep(delay)
        with app.app_context():
            try:
                course = db.session.get(Course, course_id)
                if course is None or not course.line_items_url:
                    return found
                scopes = tuple(str(s) for s in course.ags_scopes or ())
                if SCOPE_LINEITEM not in scopes:
                    logger.warning("column backfill course=%s: no line item scope", course_id)
                    return found
                client = sender_for(app).client(course.platform_id, scopes)
                url = course.line_items_url
                db.session.commit()  # no transaction open while the LMS answers
                for column in list(remaining):
                    listed = client.find_line_items(
                        url, resource_id=column.resource_id or None, tag=column.tag or None
                    )
                    item = record_placed_column(course_id, column, listed, now=utcnow())
                    if item is not None:
                        remaining.remove(column)
                        found += 1
                        logger.info("column backfill course=%s line_item=%s", course_id, item.id)
                # The jobs' commit hook wakes the grade worker for the scores queued here.
                db.session.commit()
            except ServiceError as error:
                db.session.rollback()
                logger.warning(
                    "column backfill course=%s status=%s", course_id, getattr(error, "status", "")
                )
            finally:
                db.session.remove()
        if not remaining:
            break
    if remaining:
        logger.warning("column backfill course=%s: %d columns not found", course_id, len(remaining))
    return found
