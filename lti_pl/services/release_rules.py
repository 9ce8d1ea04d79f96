"""Mastery-based release rules (see `domain/release_rules.py`): set up, fired, seen, undone.

`on_level_change` is the mastery recompute's hook: it runs in the same transaction as the new
level, creates the `ActivityAssignment` the structure dial already understands, and keeps an
`AutoAssignment` so the teacher sees every automatic assignment and can undo it. It reads
models only, so the engine can import it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.domain.release_rules import Rule, rules_fired, validate_range
from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity, ActivityAssignment, ChoiceBoard
from lti_pl.models.courses import Enrollment
from lti_pl.models.targets import LearningTarget
from lti_pl.models.teaching import AutoAssignment, ReleaseRule
from lti_pl.services.courses import course_scale
from lti_pl.services.lookups import in_course

logger = logging.getLogger(__name__)


def _teacher(actor: Enrollment) -> None:
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers set release rules.")


def _course_activity(course_id: int, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.board.course_id != course_id:
        raise NotFoundError("That activity is not on a board of this course.")
    return activity


def add_rule(
    actor: Enrollment,
    *,
    target_id: int,
    activity_id: int,
    min_points: str,
    max_points: str,
    now: datetime,
) -> ReleaseRule:
    """Add a rule: a level on the target between the two levels assigns the activity.

    Raises:
        NotFoundError: the target or activity is not in the course.
        InvalidInputError: field "range".
    """
    _teacher(actor)
    target = in_course(
        LearningTarget, target_id, actor.course_id, "That target is not in this course."
    )
    _course_activity(actor.course_id, activity_id)
    try:
        low, high = float(min_points), float(max_points)
    except ValueError:
        raise InvalidInputError("Choose levels of the scale.", field="range") from None
    validate_range(low, high, course_scale(actor.course))
    rule = ReleaseRule(
        course_id=actor.course_id,
        target_id=target.id,
        activity_id=activity_id,
        min_points=low,
        max_points=high,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(rule)
    db.session.flush()
    logger.info("release rule added rule=%s target=%s", rule.id, target.id)
    return rule


def delete_rule(actor: Enrollment, rule_id: int) -> None:
    """Remove a rule (assignments it made stay, listed without their rule).

    Raises:
        NotFoundError: not a rule of this course.
    """
    _teacher(actor)
    rule = in_course(ReleaseRule, rule_id, actor.course_id, "That rule is not in this course.")
    db.session.delete(rule)
    db.session.flush()


def on_level_change(
    enrollment: Enrollment,
    target_id: int,
    before: float | None,
    after: float | None,
    *,
    now: datetime,
) -> list[AutoAssignment]:
    """Assign the activities of the rules the new level fires (skipping ones already assigned)."""
    return on_levels_changed(
        enrollment.course_id, [LevelChange(enrollment.id, target_id, before, after)], now=now
    )


def targets_with_rules(course_id: int) -> set[int]:
    """The course's targets that have a release rule (one query)."""
    return set(
        db.session.scalars(
            select(ReleaseRule.target_id).where(ReleaseRule.course_id == course_id).distinct()
        )
    )


@dataclass(frozen=True)
class LevelChange:
    """One student's level on one target before and after a recompute."""

    enrollment_id: int
    target_id: int
    before: float | None
    after: float | None


def on_levels_changed(
    course_id: int, changes: Sequence[LevelChange], *, now: datetime
) -> list[AutoAssignment]:
    """`on_level_change` for many levels at once (a course-wide recompute's hook).

    One query loads the course's rules; a course without rules costs nothing more. Activities
    already assigned to the student (by the teacher or a rule) are skipped.
    """
    moved = [c for c in changes if c.after is not None and c.before != c.after]
    if not moved:
        return []
    by_target: dict[int, list[Rule]] = {}
    for r in db.session.scalars(select(ReleaseRule).where(ReleaseRule.course_id == course_id)):
        by_target.setdefault(r.target_id, []).append(
            Rule(r.id, r.target_id, r.activity_id, r.min_points, r.max_points)
        )
    if not by_target:
        return []
    fired = [
        (change, rule)
        for change in moved
        if change.target_id in by_target
        for rule in rules_fired(
            by_target[change.target_id], change.target_id, change.before, change.after
        )
    ]
    if not fired:
        return []
    held = set(
        db.session.execute(
            select(ActivityAssignment.enrollment_id, ActivityAssignment.activity_id).where(
                ActivityAssignment.enrollment_id.in_({c.enrollment_id for c, _ in fired}),
                ActivityAssignment.activity_id.in_({r.activity_id for _, r in fired}),
            )
        ).tuples()
    )
    made = []
    for change, rule in fired:
        key = (change.enrollment_id, rule.activity_id)
        if key in held:
            continue
        held.add(key)
        db.session.add(
            ActivityAssignment(
                enrollment_id=change.enrollment_id,
                activity_id=rule.activity_id,
                assigned_by_id=None,
                assigned_at=now,
            )
        )
        auto = AutoAssignment(
            course_id=course_id,
            rule_id=rule.id,
            enrollment_id=change.enrollment_id,
            target_id=change.target_id,
            activity_id=rule.activity_id,
            level_points=change.after,
            assigned_at=now,
        )
        db.session.add(auto)
        made.append(auto)
    if made:
        db.session.flush()
        logger.info("released course=%s assignments=%s", course_id, len(made))
    return made


def undo(actor: Enrollment, auto_id: int, *, now: datetime) -> AutoAssignment:
    """Undo an automatic assignment: the activity is no longer assigned to the student.

    Raises:
        NotFoundError: not an automatic assignment of this course.
        InvalidInputError: already undone.
    """
    _teacher(actor)
    auto = in_course(
        AutoAssignment, auto_id, actor.course_id, "That automatic assignment is not in this course."
    )
    if auto.undone_at is not None:
        raise InvalidInputError("That assignment was already undone.", field="undo")
    for row in db.session.scalars(
        select(ActivityAssignment).where(
            ActivityAssignment.enrollment_id == auto.enrollment_id,
            ActivityAssignment.activity_id == auto.activity_id,
            ActivityAssignment.assigned_by_id.is_(None),
        )
    ):
        db.session.delete(row)
    auto.undone_at = now
    auto.undone_by_id = actor.id
    db.session.flush()
    return auto


@dataclass(frozen=True)
class RulesPage:
    """What the release rules page shows."""

    rules: list[tuple[ReleaseRule, str, str]]  # rule, target statement, activity title
    automatic: list[tuple[AutoAssignment, str, str, str]]  # + student, target, activity
    targets: list[LearningTarget]
    activities: list[tuple[Activity, str]]  # activity, board title


def rules_page(actor: Enrollment) -> RulesPage:
    """The course's rules, its automatic assignments (newest first) and the form's choices."""
    _teacher(actor)
    targets = list(
        db.session.scalars(
            select(LearningTarget)
            .where(
                LearningTarget.course_id == actor.course_id, LearningTarget.archived_at.is_(None)
            )
            .order_by(LearningTarget.position, LearningTarget.id)
        )
    )
    activities = list(
        db.session.execute(
            select(Activity, ChoiceBoard.title)
            .join(ChoiceBoard, ChoiceBoard.id == Activity.board_id)
            .where(ChoiceBoard.course_id == actor.course_id)
            .order_by(ChoiceBoard.id, Activity.position, Activity.id)
        ).tuples()
    )
    statements = {t.id: t.statement for t in targets}
    titles = {a.id: a.title for a, _ in activities}
    rules = [
        (r, statements.get(r.target_id, ""), titles.get(r.activity_id, ""))
        for r in db.session.scalars(
            select(ReleaseRule)
            .where(ReleaseRule.course_id == actor.course_id)
            .order_by(ReleaseRule.target_id, ReleaseRule.min_points)
        )
    ]
    autos = list(
        db.session.scalars(
            select(AutoAssignment)
            .where(AutoAssignment.course_id == actor.course_id)
            .order_by(AutoAssignment.assigned_at.desc(), AutoAssignment.id.desc())
            .limit(300)
        )
    )
    names = {
        e.id: e.person.display_name
        for e in db.session.scalars(
            select(Enrollment).where(Enrollment.id.in_({a.enrollment_id for a in autos}))
        )
    }
    automatic = [
        (
            a,
            names.get(a.enrollment_id, ""),
            statements.get(a.target_id, ""),
            titles.get(a.activity_id, ""),
        )
        for a in autos
    ]
    return RulesPage(rules, automatic, targets, activities)
