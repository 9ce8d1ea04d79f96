"""The course's learning path: targets in order with prerequisites; mastery unlocks steps."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain.errors import NotFoundError
from lti_pl.domain.paths import PathStep as StepView
from lti_pl.domain.paths import StepStatus, path_status, validate_prerequisites
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.profiles import LearningPath, PathStep
from lti_pl.models.targets import LearningTarget
from lti_pl.services.targets import list_targets

logger = logging.getLogger(__name__)


def path_settings(course_id: int) -> LearningPath:
    """The course's path settings (a sequential path until the teacher says otherwise)."""
    row = db.session.scalars(
        select(LearningPath).where(LearningPath.course_id == course_id)
    ).first()
    return row or LearningPath(course_id=course_id, is_sequential=True)


def path_steps(course_id: int) -> list[PathStep]:
    """The stored steps in path order."""
    return list(
        db.session.scalars(
            select(PathStep)
            .where(PathStep.course_id == course_id)
            .order_by(PathStep.position, PathStep.id)
        )
    )


@dataclass(frozen=True)
class StepInput:
    """One row of the path form.

    Attributes:
        target_id: the target.
        position: its place (lower first).
        prerequisites: target ids that must be mastered first.
    """

    target_id: int
    position: int
    prerequisites: frozenset[int]


def save_path(
    actor: Enrollment, steps: Sequence[StepInput], *, is_sequential: bool, now: datetime
) -> list[PathStep]:
    """Replace the course's path after checking it can be completed.

    Raises:
        NotFoundError: a target not in the course.
        InvalidInputError: a repeated target or position, an unknown prerequisite, a circle, or
            (sequential) a prerequisite that comes later; the message names the targets.
    """
    targets = {t.id: t for t in list_targets(actor.course_id)}
    for step in steps:
        if step.target_id not in targets:
            raise NotFoundError("That learning target is not in this course.")
    views = [StepView(s.target_id, s.position, s.prerequisites) for s in steps]
    validate_prerequisites(
        views,
        is_sequential=is_sequential,
        names={t.id: f"“{t.statement}”" for t in targets.values()},
    )
    for row in path_steps(actor.course_id):
        db.session.delete(row)
    db.session.flush()
    ordered = sorted(steps, key=lambda s: (s.position, s.target_id))
    rows = []
    for index, step in enumerate(ordered):
        row = PathStep(
            course_id=actor.course_id,
            target_id=step.target_id,
            position=index,
            prerequisites=sorted(step.prerequisites),
        )
        db.session.add(row)
        rows.append(row)
    settings = db.session.scalars(
        select(LearningPath).where(LearningPath.course_id == actor.course_id)
    ).first()
    if settings is None:
        settings = LearningPath(course_id=actor.course_id)
        db.session.add(settings)
    settings.is_sequential = is_sequential
    settings.updated_at = now
    db.session.flush()
    logger.info("path saved course=%s steps=%s", actor.course_id, len(rows))
    return rows


@dataclass(frozen=True)
class StudentStep:
    """A path step as a student sees it."""

    target: LearningTarget
    status: StepStatus
    waiting_for: tuple[LearningTarget, ...]


def student_path(student: Enrollment) -> list[StudentStep]:
    """The path with the student's state on each step (mastered, available, locked)."""
    steps = path_steps(student.course_id)
    targets = {t.id: t for t in list_targets(student.course_id)}
    mastered = set(
        db.session.scalars(
            select(MasteryRecord.target_id).where(
                MasteryRecord.enrollment_id == student.id, MasteryRecord.is_mastered.is_(True)
            )
        )
    )
    views = [
        StepView(s.target_id, s.position, frozenset(s.prerequisites))
        for s in steps
        if s.target_id in targets
    ]
    statuses = path_status(
        views, mastered, is_sequential=path_settings(student.course_id).is_sequential
    )
    return [
        StudentStep(
            target=targets[status.step.target_id],
            status=status,
            waiting_for=tuple(targets[t] for t in status.waiting_for if t in targets),
        )
        for status in statuses
    ]
