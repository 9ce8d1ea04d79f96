"""Canvas's outcome calculation methods (Canvas's names in each docstring).

Latest, highest, average, decaying and weighted average, and n times at mastery.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from statistics import fmean

from lti_pl.domain.mastery.engine import (
    ScaleContext,
    ScoresCalculator,
    appending,
    mean,
    scale_valued,
)
from lti_pl.domain.mastery.result import (
    NO_EVIDENCE,
    MasteryResult,
    format_points,
    highest_level_below_mastery,
    tidy,
)


def latest(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Canvas "Most Recent Score": the newest score."""
    # Appending p gives p: mastered exactly when p reaches the threshold.
    return scale_valued(ctx, "latest", lead, lambda scores: scores[-1], None)


def highest(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Canvas "Highest Score": the best score so far."""
    # Not mastered means the best so far is below the threshold: only p itself can reach it.
    return scale_valued(ctx, "highest", lead, max, None)


def average(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Canvas "Average": the mean of all scores."""
    return scale_valued(ctx, "average", lead, mean, appending(mean))


def decaying_average(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """A true decaying average: D1 = s1, Dk = Dk-1 + weight * (sk - Dk-1).

    The same as (1 - weight) * Dk-1 + weight * sk, written so that equal scores give that
    score exactly. Canvas calls it "Decaying Average" (standard_decaying_average).
    """
    weight = params["weight"]

    def running(scores: Sequence[float]) -> float:
        value = scores[0]
        for index in range(1, len(scores)):
            value += weight * (scores[index] - value)
        return value

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        value = running(scores)
        return lambda points: tidy(value + weight * (points - value))

    return scale_valued(ctx, "decaying_average", lead, lambda scores: tidy(running(scores)), extend)


def weighted_average(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Canvas "Weighted Average" (its legacy "Decaying Average").

    weight * latest + (1 - weight) * mean(all earlier scores); a single score is itself.
    """
    weight = params["weight"]

    def estimate(scores: Sequence[float]) -> float:
        if len(scores) == 1:
            return scores[0]
        return tidy(weight * scores[-1] + (1 - weight) * fmean(scores[:-1]))

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        earlier = (1 - weight) * fmean(scores)
        return lambda points: tidy(weight * points + earlier)

    return scale_valued(ctx, "weighted_average", lead, estimate, extend)


def n_mastery(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Canvas "n Number of Times": mastery must be shown on `n` assessments.

    Once at least `n` scores meet or exceed the mastery threshold, the target is mastered and
    the score is the average of those scores (scores below mastery do not count). Until then
    it is not mastered and the score is the average of all scores, capped at the highest
    level below mastery, so that a student with one Exceeds Mastery score and n = 2 is shown
    below mastery rather than at a level the count has not earned.
    """
    n = int(params["n"])
    mastery = ctx.mastery
    cap = highest_level_below_mastery(ctx.scale).points
    # Appending p adds one score at mastery exactly when p reaches the threshold.
    first_mastered = ctx.first_mastered_point(clamp=False)
    empty = MasteryResult(
        "n_mastery", None, None, False, first_mastered if n <= 1 else None, NO_EVIDENCE
    )

    def compute(scores: Sequence[float]) -> MasteryResult:
        ctx.check(scores)
        if not scores:
            return empty
        reached = [score for score in scores if score >= mastery]
        times = _times(len(reached))
        if len(reached) >= n:
            score = ctx.clamp(tidy(fmean(reached)))
            level = ctx.level_for(score)
            explanation = (
                f"{lead}: you have reached it {times}, and those scores average "
                f"{format_points(score)}, {level.label}; {ctx.mastered_outlook}."
            )
            return MasteryResult("n_mastery", score, level, True, None, explanation)
        next_score = first_mastered if len(reached) + 1 >= n else None
        score = min(ctx.clamp(tidy(fmean(scores))), cap)
        level = ctx.level_for(score)
        explanation = (
            f"{lead}: you have reached it {times} so far, and you are at "
            f"{format_points(score)}, {level.label}; {ctx.outlook(False, next_score)}."
        )
        return MasteryResult("n_mastery", score, level, False, next_score, explanation)

    return compute


def _times(count: int) -> str:
    return {0: "no times", 1: "once", 2: "twice"}.get(count, f"{count} times")
