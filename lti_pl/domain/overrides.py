"""A teacher's override of a calculated level: the rule, what it changes and what releases it.

A teacher who has seen a student relearn can stand behind a level the calculation does not
reach yet (a 3 after relearning still averages to Near Mastery). The override replaces the
level, the score that converts to the grade and the explanation; the calculated result stays
visible beside it so nobody mistakes it for the engine's.

Release: by the teacher at any time, and by new evidence — the next assessment of that student
on that target releases it. An override records the teacher's judgement of the evidence so far;
a new score is newer information, and an override that nobody remembers would otherwise freeze
the level and make the student's later work count for nothing (assessment when ready only works
if every new assessment can move the level). A teacher who still disagrees overrides again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery.result import MasteryResult, format_points
from lti_pl.domain.targets import MasteryScale

#: Longest reason kept; the reason is shown to the student and in the audit trail.
MAX_REASON = 2000

TEACHER = "teacher"
NEW_EVIDENCE = "new_evidence"


@dataclass(frozen=True)
class Override:
    """A level set by the teacher.

    Attributes:
        points: a level's points on the course's scale.
        reason: why, as the teacher wrote it (required).
        set_at: when it was set.
    """

    points: float
    reason: str
    set_at: datetime


def validate_override(points: float, reason: str, scale: MasteryScale) -> tuple[float, str]:
    """The override's points and reason, checked.

    Returns:
        The points (one of the scale's levels) and the stripped reason.

    Raises:
        InvalidInputError: field "points" when not a level of the scale, "reason" when the
            reason is empty or longer than MAX_REASON.
    """
    if points not in {level.points for level in scale.levels}:
        raise InvalidInputError("Choose one of the scale's levels.", field="points")
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidInputError(
            "Give the reason for setting this level; the student will read it.", field="reason"
        )
    if len(cleaned) > MAX_REASON:
        raise InvalidInputError(f"Keep the reason to {MAX_REASON:,} characters.", field="reason")
    return points, cleaned


def is_released_by(override: Override, assessed_at: datetime) -> bool:
    """Whether an assessment recorded at `assessed_at` releases the override (it is newer)."""
    return assessed_at > override.set_at


def apply_override(
    calculated: MasteryResult, override: Override, scale: MasteryScale
) -> MasteryResult:
    """The result the student, the data wall and the gradebook see while the override holds.

    The level and score become the override's; the explanation names the teacher's reason and
    the calculated level. The lowest next score to master is kept from the calculation (it is
    what the next assessment, which releases the override, would need).
    """
    level = scale.level_for(override.points)
    mastered = scale.is_mastered(override.points)
    if calculated.level is not None and calculated.score is not None:
        shown = (
            f"{calculated.probability:.0%} likely"
            if calculated.probability is not None
            else format_points(calculated.score)
        )
        from_scores = f"From your scores alone it is {calculated.level.label} ({shown})."
    else:
        from_scores = "There are no assessed scores yet."
    explanation = (
        f"Your teacher set your level to {level.label} ({format_points(override.points)}): "
        f"{override.reason} {from_scores} Your next assessment counts again."
    )
    return replace(
        calculated,
        score=override.points,
        level=level,
        mastered=mastered,
        next_score_to_master=None if mastered else calculated.next_score_to_master,
        explanation=explanation,
        probability=None,
    )
