"""Canvas's outcome calculation methods, plus a true decaying average.

Canvas renamed its old "Decaying Average" to "Weighted Average" because that formula (latest
score 65%, mean of the earlier ones 35%) is no decaying average; we keep both, each with its
true formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean

from lti_pl.domain.mastery.result import (
    NO_EVIDENCE,
    MasteryResult,
    Observation,
    format_points,
    highest_level_below_mastery,
    lowest_next_score,
    mastery_level,
    ordered_scores,
    outlook,
    scale_valued_result,
    tidy,
)
from lti_pl.domain.targets import MasteryScale

#: Share of the newest score in `decaying_average` and `weighted_average` (Canvas's default 65).
DEFAULT_WEIGHT = 0.65
#: How many scores at or above mastery `n_mastery` needs (Canvas's default).
DEFAULT_N = 2


def latest(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """Canvas "Most Recent Score": the newest score."""
    return scale_valued_result(
        "latest", observations, scale, lambda scores: scores[-1], "Your most recent score counts:"
    )


def highest(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """Canvas "Highest Score": the best score so far."""
    return scale_valued_result(
        "highest", observations, scale, max, "Your best score counts: your highest score is"
    )


def average(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """Canvas "Average": the mean of all scores."""
    return scale_valued_result(
        "average",
        observations,
        scale,
        lambda scores: tidy(fmean(scores)),
        "All your scores count equally: your average is",
    )


def most_frequent_score(scores: Sequence[float]) -> float:
    """The score that occurs most often; among tied scores, the one that occurred most recently.

    Ties go to the most recent because a student's newest work says most about where they are.
    """
    counts: dict[float, int] = {}
    last_seen: dict[float, int] = {}
    for index, score in enumerate(scores):
        counts[score] = counts.get(score, 0) + 1
        last_seen[score] = index
    return max(counts, key=lambda score: (counts[score], last_seen[score]))


def mode(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """Mode: the most frequent score; ties go to the tied score seen most recently."""
    return scale_valued_result(
        "mode",
        observations,
        scale,
        most_frequent_score,
        "Your most frequent score counts: it is",
    )


def decaying_average(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """A true decaying average: D1 = s1, Dk = (1 - weight) * Dk-1 + weight * sk.

    Every score counts, older ones geometrically less. Param `weight` (0 < weight <= 1, default
    0.65) is the newest score's share.
    """
    weight = params.get("weight", DEFAULT_WEIGHT)

    def estimate(scores: Sequence[float]) -> float:
        value = scores[0]
        for score in scores[1:]:
            # The same formula as (1 - weight) * value + weight * score, written so that equal
            # scores give that score exactly.
            value += weight * (score - value)
        return tidy(value)

    return scale_valued_result(
        "decaying_average",
        observations,
        scale,
        estimate,
        "Your latest scores count most: your decaying average is",
    )


def weighted_average(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """Canvas "Weighted Average" (its legacy "Decaying Average").

    weight * latest + (1 - weight) * mean(all earlier scores); a single score is itself. Param
    `weight` (0 < weight <= 1, default 0.65) is the newest score's share.
    """
    weight = params.get("weight", DEFAULT_WEIGHT)

    def estimate(scores: Sequence[float]) -> float:
        if len(scores) == 1:
            return scores[0]
        return tidy(weight * scores[-1] + (1 - weight) * fmean(scores[:-1]))

    return scale_valued_result(
        "weighted_average",
        observations,
        scale,
        estimate,
        f"Your latest score counts {format_points(weight * 100)}% and your earlier scores "
        f"{format_points((1 - weight) * 100)}%: your weighted average is",
    )


def n_mastery(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """Canvas "n Number of Times": mastery must be shown on `n` assessments.

    Rule: once at least `n` scores meet or exceed the mastery threshold, the target is mastered
    and the score is the average of those scores (scores below mastery do not count). Until
    then it is not mastered and the score is the average of all scores, capped at the highest
    level below mastery, so that a student with one Exceeds Mastery score and n = 2 is shown
    below mastery rather than at a level the count has not earned. Param `n` (a whole number,
    at least 1, default 2).
    """
    n = int(params.get("n", DEFAULT_N))
    scores = ordered_scores(observations, scale)

    def at_mastery(history: Sequence[float]) -> list[float]:
        return [score for score in history if scale.is_mastered(score)]

    next_score = lowest_next_score(scores, scale, lambda history: len(at_mastery(history)) >= n)
    if not scores:
        return MasteryResult("n_mastery", None, None, False, next_score, NO_EVIDENCE)
    label = mastery_level(scale).label
    reached = at_mastery(scores)
    if len(reached) >= n:
        score = scale.clamp(tidy(fmean(reached)))
        level = scale.level_for(score)
        explanation = (
            f"You reached {label} {len(reached)} times ({n} needed): the average of those "
            f"scores is {format_points(score)}, {level.label}; {outlook(scale, True, None)}."
        )
        return MasteryResult("n_mastery", score, level, True, None, explanation)
    cap = highest_level_below_mastery(scale).points
    score = min(scale.clamp(tidy(fmean(scores))), cap)
    level = scale.level_for(score)
    explanation = (
        f"You have reached {label} {len(reached)} of the {n} times needed: your score is "
        f"{format_points(score)}, {level.label}; "
        f"{outlook(scale, False, next_score)}."
    )
    return MasteryResult("n_mastery", score, level, False, next_score, explanation)
