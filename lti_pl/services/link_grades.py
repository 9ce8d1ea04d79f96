"""The teacher's setup of a link placed by hand: what its gradebook column holds.

An admin or teacher who adds the tool as an activity without deep linking (Moodle "accept grades
from the tool", a Canvas assignment with an external tool submission) gets a link whose launches
carry an AGS `lineitem` claim but no custom parameters naming targets. The teacher chooses once:
one target, several, or overall mastery; the choice is kept on the link (`grade_setup`, which
launches do not overwrite) and the students' current grades are queued for the column at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain.errors import InvalidInputError
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment, ResourceLink
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget
from lti_pl.services import grade_passback
from lti_pl.services.line_items import (
    AGGREGATE,
    CUSTOM_TARGET,
    CUSTOM_TARGETS,
    PER_TARGET,
    needs_grade_setup,
)
from lti_pl.services.lookups import in_course

logger = logging.getLogger(__name__)

#: The teacher's choices: one target, several targets, overall mastery (every target).
SEVERAL = "several"
SETUP_CHOICES = (PER_TARGET, SEVERAL, AGGREGATE)


def course_link(course_id: int, link_row_id: int) -> ResourceLink:
    """A resource link of the course.

    Raises:
        NotFoundError: no such link in this course.
    """
    return in_course(ResourceLink, link_row_id, course_id, "This activity is not in this course.")


def link_needing_setup(course_id: int, resource_link_row_id: int | None) -> ResourceLink | None:
    """The launched link when its gradebook column waits for the teacher's setup, else None."""
    if resource_link_row_id is None:
        return None
    link = db.session.get(ResourceLink, resource_link_row_id)
    if link is None or link.course_id != course_id or not needs_grade_setup(link):
        return None
    return link


def setup_targets(course_id: int) -> list[LearningTarget]:
    """The targets a column may hold, in the course's order."""
    return list(
        db.session.scalars(
            select(LearningTarget)
            .where(LearningTarget.course_id == course_id, LearningTarget.archived_at.is_(None))
            .order_by(LearningTarget.position, LearningTarget.id)
        )
    )


def set_up_link_grades(
    teacher: Enrollment,
    link_row_id: int,
    *,
    choice: str,
    target_ids: Sequence[int],
    now: datetime,
) -> LineItem:
    """Say what a link's column holds and queue the students' current grades for it (flushes).

    Args:
        teacher: the teacher's enrollment (its course is the link's).
        link_row_id: the ResourceLink row.
        choice: one of SETUP_CHOICES.
        target_ids: the chosen target (PER_TARGET) or targets (SEVERAL); ignored for AGGREGATE.
        now: the time the scores are stamped with.

    Returns:
        The line item of the link's column.

    Raises:
        NotFoundError: the link is not in the teacher's course.
        InvalidInputError: an unknown choice, or targets that do not fit it.
    """
    course_id = teacher.course_id
    link = course_link(course_id, link_row_id)
    if not link.line_item_url:
        raise InvalidInputError("This activity has no gradebook column in the LMS.")
    known = {t.id for t in setup_targets(course_id)}
    chosen = [i for i in dict.fromkeys(target_ids) if i in known]
    if choice == PER_TARGET:
        if len(chosen) != 1:
            raise InvalidInputError("Choose the one learning target this column holds.", "target")
        setup = {CUSTOM_TARGET: str(chosen[0])}
    elif choice == SEVERAL:
        if len(chosen) < 2:
            raise InvalidInputError(
                "Choose at least two learning targets (or one, as a single target).", "targets"
            )
        setup = {CUSTOM_TARGETS: ",".join(str(i) for i in sorted(chosen))}
    elif choice == AGGREGATE:
        setup = {CUSTOM_TARGETS: ""}  # every target of the course, as an aggregate column
    else:
        raise InvalidInputError("Choose what this column holds.", "choice")
    link.grade_setup = setup
    db.session.flush()
    item = grade_passback.ensure_line_item_from_launch(
        course_id=course_id, resource_link_row_id=link.id
    )
    if item is None:
        raise InvalidInputError("That learning target is not in this course.", "target")
    logger.info("link %s grade setup choice=%s line item=%s", link.id, choice, item.id)
    return item
