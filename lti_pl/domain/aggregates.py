"""The aggregate grade over several targets, and the comment that says how it was made.

Two rules a teacher chooses from (per course):

- ``assessed``: the mean of the assessed targets' grades; unassessed targets do not count
  (85/100 with one of two targets assessed at Mastery). This is what Canvas's learning mastery
  gradebook does.
- ``all``: every target counts; an unassessed target counts as the scale's lowest level
  (so 42.5/100 for the same student on the default table).

The gradebook comment names the rule, so a student or parent reading the LMS knows what the
number means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class AggregateMode(StrEnum):
    """Which targets an aggregate grade counts."""

    ASSESSED = "assessed"
    ALL = "all"


@dataclass(frozen=True)
class AggregateGrade:
    """An aggregate grade.

    Attributes:
        percent: the grade 0..100, None when nothing counts.
        assessed: targets with a grade.
        unassessed: covered targets without one.
        mastered: assessed targets that are mastered.
        mode: the rule used.
        lowest_label: the scale's lowest level (what unassessed targets count as under ALL).
    """

    percent: float | None
    assessed: int
    unassessed: int
    mastered: int
    mode: AggregateMode
    lowest_label: str

    @property
    def comment(self) -> str:
        """The comment the LMS gradebook shows beside the grade."""
        if self.mode is AggregateMode.ALL:
            total = self.assessed + self.unassessed
            noun = "target" if total == 1 else "targets"
            text = f"Mastery over all {total} {noun}: {self.mastered} mastered."
            if self.unassessed:
                text += (
                    f" {self.unassessed} not assessed yet "
                    f"{'counts' if self.unassessed == 1 else 'count'} as {self.lowest_label}."
                )
            return text
        noun = "target" if self.assessed == 1 else "targets"
        text = f"Mastery over {self.assessed} assessed {noun}: {self.mastered} mastered."
        if self.unassessed:
            text += (
                f" {self.unassessed} not assessed yet "
                f"{'is' if self.unassessed == 1 else 'are'} not counted."
            )
        return text


def aggregate_grade(
    grades: Sequence[float],
    *,
    mastered: int,
    unassessed: int,
    mode: AggregateMode,
    lowest_grade: float,
    lowest_label: str,
) -> AggregateGrade:
    """The aggregate of assessed targets' grades under a rule.

    Args:
        grades: the percent grades of the assessed targets.
        mastered: how many of them are mastered.
        unassessed: covered targets without a grade.
        mode: the rule.
        lowest_grade: the percent grade of the scale's lowest level.
        lowest_label: that level's label.

    Returns:
        The grade (unrounded) with the counts its comment needs.
    """
    counted = list(grades)
    if mode is AggregateMode.ALL:
        counted += [lowest_grade] * unassessed
    percent = sum(counted) / len(counted) if counted else None
    return AggregateGrade(percent, len(grades), unassessed, mastered, mode, lowest_label)
