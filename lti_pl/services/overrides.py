"""Teacher overrides of a student's level on a target: lookups and release by new evidence.

The rules are in `domain/overrides.py`. The mastery recompute reads the active override from
here; setting and releasing one (which recompute) are in `services/override_actions.py`, so
this module never imports the engine and the engine can import it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain.audit import AuditAction
from lti_pl.domain.mastery import MasteryResult
from lti_pl.domain.mastery.result import format_points
from lti_pl.domain.overrides import (
    NEW_EVIDENCE,
    TEACHER,
    Override,
    apply_override,
    is_released_by,
)
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.models.teaching import MasteryOverride
from lti_pl.services import audit

logger = logging.getLogger(__name__)


def active_override(enrollment_id: int, target_id: int) -> MasteryOverride | None:
    """The override that holds for a student on a target, if any."""
    return db.session.scalars(
        select(MasteryOverride)
        .where(
            MasteryOverride.enrollment_id == enrollment_id,
            MasteryOverride.target_id == target_id,
            MasteryOverride.released_at.is_(None),
        )
        .order_by(MasteryOverride.set_at.desc(), MasteryOverride.id.desc())
        .limit(1)
    ).first()


def as_value(row: MasteryOverride) -> Override:
    """The domain value of a stored override."""
    return Override(row.points, row.reason, row.set_at)


def course_overrides(course_id: int) -> dict[tuple[int, int], Override]:
    """The active overrides of a course by (enrollment id, target id), for a course recompute."""
    rows = db.session.scalars(
        select(MasteryOverride)
        .where(MasteryOverride.course_id == course_id, MasteryOverride.released_at.is_(None))
        .order_by(MasteryOverride.set_at, MasteryOverride.id)
    )
    return {(r.enrollment_id, r.target_id): as_value(r) for r in rows}


def history(enrollment_id: int, target_id: int | None = None) -> list[MasteryOverride]:
    """A student's overrides (active and released), newest first."""
    query = select(MasteryOverride).where(MasteryOverride.enrollment_id == enrollment_id)
    if target_id is not None:
        query = query.where(MasteryOverride.target_id == target_id)
    return list(
        db.session.scalars(query.order_by(MasteryOverride.set_at.desc(), MasteryOverride.id.desc()))
    )


def release(row: MasteryOverride, *, actor_id: int | None, cause: str, now: datetime) -> None:
    """Mark an override released (by the teacher or new evidence) and audit it."""
    row.released_at = now
    row.released_by_id = actor_id
    row.release_cause = cause
    audit.record(
        row.course_id,
        actor_id,
        AuditAction.OVERRIDE_RELEASED,
        student_id=row.enrollment_id,
        target_id=row.target_id,
        detail=(
            f"{format_points(row.points)} released by "
            + ("the teacher" if cause == TEACHER else "a new assessment")
        ),
        now=now,
    )


def release_on_new_assessment(
    enrollment_id: int, target_id: int, *, assessed_at: datetime, actor_id: int | None
) -> bool:
    """Release the pair's override if this assessment is newer than it (call before recompute).

    Returns:
        Whether an override was released.
    """
    row = active_override(enrollment_id, target_id)
    if row is None or not is_released_by(as_value(row), assessed_at):
        return False
    release(row, actor_id=actor_id, cause=NEW_EVIDENCE, now=assessed_at)
    db.session.flush()
    return True


def applied(
    result: MasteryResult, enrollment_id: int, target_id: int, scale: MasteryScale
) -> tuple[MasteryResult, Override | None]:
    """The recompute's hook: the result with the active override applied, and the override."""
    row = active_override(enrollment_id, target_id)
    if row is None:
        return result, None
    value = as_value(row)
    return apply_override(result, value, scale), value
