"""What every calculation method shares: the scale read once, and the shape of a method.

A method's builder (canvas.py, recent.py, power_law.py, bkt.py; the registry in methods.py
names each) reads the scale and the checked parameters once and returns a function of one
score history, so a course recompute runs thousands of histories through it cheaply. The
next score to master comes from the history's running state: one step per level tried, or a
closed form where the rule gives one exactly.

A plain, slow reference of every formula lives in the tests
(tests/unit/domain/mastery/reference.py); a property test checks that both agree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from statistics import fmean

from lti_pl.domain.mastery.result import (
    NO_EVIDENCE,
    MasteryResult,
    Observation,
    format_points,
    ordered_scores,
    outlook,
    tidy,
)
from lti_pl.domain.targets import MasteryLevel, MasteryScale

#: A prepared method: scores oldest first to the method's result.
ScoresCalculator = Callable[[Sequence[float]], MasteryResult]

#: A method's builder: the scale, the checked params (defaults filled in) and the student's
#: lead sentence ("Your recent work counts most") to a prepared method.


#: A method's builder: the scale, the checked params (defaults filled in) and the student's
#: lead sentence ("Your recent work counts most") to a prepared method.
Builder = Callable[["ScaleContext", Mapping[str, float], str], ScoresCalculator]

# Observations built to report an off-scale score all carry this time, so that the stable
# sort keeps the order the scores came in.


# Observations built to report an off-scale score all carry this time, so that the stable
# sort keeps the order the scores came in.
_SAME_TIME = datetime(2000, 1, 1)

#: Value of the mode's `ties` parameter that gives a tie to the higher score.


class ScaleContext:
    """What the methods read from a scale, computed once per prepared method."""

    __slots__ = (
        "ascending_levels",
        "ascending_points",
        "candidates",
        "high",
        "low",
        "mastered_outlook",
        "mastery",
        "next_outlooks",
        "scale",
        "unreachable_outlook",
    )

    def __init__(self, scale: MasteryScale) -> None:
        self.scale = scale
        self.low = scale.min_points
        self.high = scale.max_points
        self.mastery = scale.mastery_points
        self.ascending_levels: tuple[MasteryLevel, ...] = tuple(reversed(scale.levels))
        self.ascending_points = [level.points for level in self.ascending_levels]
        # The next score to master is the lowest level's points that masters.
        self.candidates: tuple[float, ...] = tuple(self.ascending_points)
        self.mastered_outlook = outlook(scale, True, None)
        self.unreachable_outlook = outlook(scale, False, None)
        self.next_outlooks = {points: outlook(scale, False, points) for points in self.candidates}

    def check(self, scores: Sequence[float]) -> None:
        """Raise InvalidInputError for a score that is not a number or is off the scale."""
        low, high = self.low, self.high
        for score in scores:
            if not low <= score <= high or score.__class__ is bool:
                # Builds the error for the first offending score.
                ordered_scores([Observation(s, _SAME_TIME) for s in scores], self.scale)

    def clamp(self, score: float) -> float:
        """`MasteryScale.clamp`, the same expression."""
        return min(self.high, max(self.low, score))

    def level_for(self, score: float) -> MasteryLevel:
        """`MasteryScale.level_for` by bisection (scores here are never NaN)."""
        index = bisect_right(self.ascending_points, score)
        return self.ascending_levels[index - 1] if index else self.ascending_levels[0]

    def outlook(self, mastered: bool, next_score: float | None) -> str:
        """`result.outlook`, precomputed."""
        if mastered:
            return self.mastered_outlook
        if next_score is not None:
            return self.next_outlooks[next_score]
        return self.unreachable_outlook

    def first_mastered_point(self, clamp: bool) -> float | None:
        """The lowest level's points that reach the threshold (clamped first if asked)."""
        for points in self.candidates:
            if (self.clamp(points) if clamp else points) >= self.mastery:
                return points
        return None


def scale_valued(
    ctx: ScaleContext,
    method: str,
    lead: str,
    estimate: Callable[[Sequence[float]], float],
    extend: Callable[[Sequence[float]], Callable[[float], float]] | None,
) -> ScoresCalculator:
    """A method whose score is a point on the scale, mastered at the scale's threshold.

    Args:
        ctx: the scale.
        method: the method's name.
        lead: the student's lead sentence, completed by the score and its level.
        estimate: the method's formula on a non-empty history, oldest first; a formula that
            does arithmetic passes its value through `tidy`.
        extend: from a history, a function of a next score giving `estimate` of the history
            with that score appended (sharing the work on the history); None when the next
            score to master is the scale's first mastered level whenever the result is not
            mastered (latest, highest).
    """
    clamp, mastery, candidates = ctx.clamp, ctx.mastery, ctx.candidates
    empty = MasteryResult(
        method,
        None,
        None,
        False,
        next((p for p in candidates if clamp(estimate([p])) >= mastery), None),
        NO_EVIDENCE,
    )
    closed_next = ctx.first_mastered_point(clamp=True)

    def compute(scores: Sequence[float]) -> MasteryResult:
        ctx.check(scores)
        if not scores:
            return empty
        score = clamp(estimate(scores))
        mastered = score >= mastery
        next_score: float | None = None
        if not mastered:
            if extend is None:
                next_score = closed_next
            else:
                after = extend(scores)
                for points in candidates:
                    if clamp(after(points)) >= mastery:
                        next_score = points
                        break
        level = ctx.level_for(score)
        explanation = (
            f"{lead}: you are at {format_points(score)}, {level.label}; "
            f"{ctx.outlook(mastered, next_score)}."
        )
        return MasteryResult(method, score, level, mastered, next_score, explanation)

    return compute


def appending(
    estimate: Callable[[Sequence[float]], float],
) -> Callable[[Sequence[float]], Callable[[float], float]]:
    """`extend` for a formula without running state: the history with the score appended."""

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        return lambda points: estimate([*scores, points])

    return extend


def mean(scores: Sequence[float]) -> float:
    """The mean, tidied (see `result.tidy`)."""
    return tidy(fmean(scores))


def windowed(
    method: str, formula: Callable[[Sequence[float]], float]
) -> Callable[[ScaleContext, Mapping[str, float], str], ScoresCalculator]:
    """A method that applies `formula` to the most recent `window` scores only."""

    def build(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
        window = int(params["window"])

        def estimate(scores: Sequence[float]) -> float:
            return formula(scores[-window:])

        def extend(scores: Sequence[float]) -> Callable[[float], float]:
            kept = list(scores[max(0, len(scores) - window + 1) :]) if window > 1 else []
            return lambda points: formula([*kept, points])

        return scale_valued(ctx, method, lead, estimate, extend)

    return build
