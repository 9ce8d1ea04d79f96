"""Mastery-based release: which activities a change of level hands a student.

A rule says "when a student's level on this target lies between these points, assign this
activity" (below mastery -> re-teach, near -> practice, mastered -> extension, as Canvas Mastery
Paths does with score ranges). A rule fires when the level *enters* its range: a level that
stays in the range does not assign the activity again (the teacher may have undone it on
purpose), and a first level counts as entering.

The rule only creates an assignment; the student's structure dial still decides what that
means (on "assigned" it is what they may do, on "guided" or "free" it is highlighted among the
board's choices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.targets import MasteryScale


@dataclass(frozen=True)
class Rule:
    """A release rule.

    Attributes:
        id: the stored id.
        target_id: the target whose level it watches.
        activity_id: the activity it assigns.
        min_points: the lowest level points of the range (inclusive).
        max_points: the highest (inclusive).
    """

    id: int
    target_id: int
    activity_id: int
    min_points: float
    max_points: float

    def covers(self, points: float) -> bool:
        """Whether a level's points lie in the range."""
        return self.min_points <= points <= self.max_points


def validate_range(min_points: float, max_points: float, scale: MasteryScale) -> None:
    """Raise InvalidInputError (field "range") unless the range is two levels, low to high."""
    levels = {level.points for level in scale.levels}
    if min_points not in levels or max_points not in levels:
        raise InvalidInputError("Choose levels of the scale.", field="range")
    if min_points > max_points:
        raise InvalidInputError("The range must go from a lower to a higher level.", field="range")


def rules_fired(
    rules: Sequence[Rule], target_id: int, before: float | None, after: float | None
) -> list[Rule]:
    """The rules a level change on a target fires (the new level entered their range)."""
    if after is None:
        return []
    return [
        rule
        for rule in rules
        if rule.target_id == target_id
        and rule.covers(after)
        and (before is None or not rule.covers(before))
    ]
