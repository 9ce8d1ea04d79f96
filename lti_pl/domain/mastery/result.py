"""Value types of the mastery engine and the steps every calculation method shares."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.targets import MasteryLevel, MasteryScale

#: The method whose score is a probability; only its results carry `probability`.
BKT_METHOD = "bkt"

#: Computed scores within float noise of a value with this many decimals snap to it, so that
#: noise (3 x 0.35 + 3 x 0.65 = 2.9999999999999996) never decides mastery.
SCORE_DECIMALS = 9

NO_EVIDENCE = "No assessed evidence yet."


@dataclass(frozen=True)
class Observation:
    """One assessed piece of evidence on one learning target.

    Attributes:
        score: points on the target's mastery scale.
        assessed_at: when it was assessed; the engine orders evidence by it.
    """

    score: float
    assessed_at: datetime

    def __post_init__(self) -> None:
        if isinstance(self.score, bool) or not math.isfinite(self.score):
            raise InvalidInputError("A score must be a number.", field="score")


@dataclass(frozen=True)
class MasteryResult:
    """What a calculation method concludes from a student's evidence on one target.

    Attributes:
        method: the calculation method's name.
        score: the result on the scale (for `bkt` the probability 0..1); None without evidence.
        level: the mastery level the result reaches; None without evidence.
        mastered: whether the target counts as mastered.
        next_score_to_master: the lowest scale point that, as the next score, would make the
            result mastered; None if already mastered or if no single next score can.
        explanation: one sentence a student understands.
        probability: the probability that the student knows the target (`bkt` only).
    """

    method: str
    score: float | None
    level: MasteryLevel | None
    mastered: bool
    next_score_to_master: float | None
    explanation: str
    probability: float | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view; `probability` appears only for `bkt` results."""
        data: dict[str, object] = {
            "method": self.method,
            "score": self.score,
            "level": self.level.points if self.level is not None else None,
            "label": self.level.label if self.level is not None else None,
            "mastered": self.mastered,
            "next_score_to_master": self.next_score_to_master,
            "explanation": self.explanation,
        }
        if self.method == BKT_METHOD:
            data["probability"] = self.probability
        return data


def ordered_scores(observations: Sequence[Observation], scale: MasteryScale) -> list[float]:
    """The scores oldest first, sorted stably by `assessed_at`.

    Raises:
        InvalidInputError: a score lies outside the scale.
    """
    ordered = sorted(observations, key=lambda observation: observation.assessed_at)
    for observation in ordered:
        if not scale.min_points <= observation.score <= scale.max_points:
            raise InvalidInputError(
                f"A score of {format_points(observation.score)} is outside the scale "
                f"({format_points(scale.min_points)} to {format_points(scale.max_points)}).",
                field="score",
            )
    return [observation.score for observation in ordered]


def tidy(score: float) -> float:
    """A computed score without float noise (see SCORE_DECIMALS).

    Only noise is removed: a score within 1e-12 of a value with SCORE_DECIMALS decimals snaps
    to it; any other score (a raw 1.730755423695923) is returned unchanged.
    """
    snapped = round(score, SCORE_DECIMALS)
    if abs(snapped - score) <= 1e-12 * max(1.0, abs(score)):
        return snapped + 0.0  # + 0.0 turns -0.0 into 0.0
    return score


def format_points(points: float) -> str:
    """Points as students read them: 3, 2.65 (at most two decimals)."""
    return f"{round(points, 2):g}"


def mastery_level(scale: MasteryScale) -> MasteryLevel:
    """The lowest level that counts as mastered."""
    return min(
        (level for level in scale.levels if scale.is_mastered(level.points)),
        key=lambda level: level.points,
    )


def highest_level_below_mastery(scale: MasteryScale) -> MasteryLevel:
    """The highest level that does not count as mastered (the lowest level if none)."""
    for level in scale.levels:
        if not scale.is_mastered(level.points):
            return level
    return scale.levels[-1]


def outlook(scale: MasteryScale, mastered: bool, next_score: float | None) -> str:
    """The end of an explanation: what the student has reached or still needs."""
    label = mastery_level(scale).label
    if mastered:
        return f"you have reached {label}"
    if next_score is not None:
        return f"a {format_points(next_score)} next time would reach {label}"
    return f"it will take more than one more score to reach {label}"
