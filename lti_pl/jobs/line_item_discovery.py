"""Finding (or creating) through AGS the gradebook column of a link launched without one."""

from __future__ import annotations

import logging

from flask import Flask

from lti_pl.extensions import db
from lti_pl.jobs.grade_delivery import sender_for
from lti_pl.lti.service_connector import ServiceError
from lti_pl.services import grade_passback, line_items

logger = logging.getLogger(__name__)


def discover_line_item(app: Flask, course_id: int, resource_link_row_id: int) -> str:
    """Find (or create) through AGS the gradebook column of a link launched without one.

    A deep-linked link that asks for grades but whose launch carried no `lineitem` claim (the
    platform ignored the deep-linking line item, or an admin added the link by hand) gets a line
    item found by (resource link, resource id, tag) or created there; the students' current
    grades are then queued for it (the commit wakes the grade worker, see `jobs.hooks`).
    Returns what happened, for the log.
    """
    plan = line_items.line_item_discovery(course_id, resource_link_row_id)
    if plan is None:
        return "nothing to discover"
    try:
        client = sender_for(app).client(plan.platform_id, plan.scopes)
        db.session.commit()  # no transaction open while the LMS answers (SQLite's write lock)
        item = grade_passback.find_or_create_line_item(
            client,
            course_id=course_id,
            line_items_url=plan.line_items_url,
            passback=plan.passback,
            label=plan.label,
            score_maximum=plan.passback.score_maximum or 100.0,
            resource_link_id=plan.resource_link_id,
        )
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        logger.warning(
            "line item discovery failed course=%s link=%s status=%s",
            course_id,
            resource_link_row_id,
            error.status,
        )
        return f"Failed: {error}"
    if item is None:
        return "target not in the course"
    logger.info("line item discovered course=%s line_item=%s", course_id, item.id)
    return f"line item {item.id}"
