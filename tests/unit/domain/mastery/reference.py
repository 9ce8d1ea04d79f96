"""A plain, slow reference of every calculation method: the oracle of the property test.

Each formula is written as its definition reads, over observations in any order, and the
next score to master is found by recomputing the whole formula for every level of the scale.
Production code lives in lti_pl/domain/mastery/ (canvas.py, recent.py, power_law.py, bkt.py);
test_mastery_engine.py checks that both give the same results. Nothing in lti_pl imports
this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from lti_pl.domain.mastery import CALCULATION_METHODS
from lti_pl.domain.mastery.result import (
    Observation,
    highest_level_below_mastery,
    mastery_level,
    ordered_scores,
    tidy,
)
from lti_pl.domain.targets import MasteryLevel, MasteryScale


@dataclass(frozen=True)
class Expected:
    """What a method concludes, without the explanation's words."""

    score: float | None
    level: MasteryLevel | None
    mastered: bool
    next_score_to_master: float | None
    probability: float | None = None


def lowest_next_score(
    scores: Sequence[float], scale: MasteryScale, is_mastered: Callable[[list[float]], bool]
) -> float | None:
    """The lowest level's points that, added as the newest score, make the result mastered."""
    if is_mastered(list(scores)):
        return None
    for level in reversed(scale.levels):
        if is_mastered([*scores, level.points]):
            return level.points
    return None


def _scale_valued(
    observations: Sequence[Observation],
    scale: MasteryScale,
    estimate: Callable[[Sequence[float]], float],
) -> Expected:
    scores = ordered_scores(observations, scale)

    def score_of(history: Sequence[float]) -> float:
        return scale.clamp(estimate(history))

    next_score = lowest_next_score(
        scores, scale, lambda history: bool(history) and scale.is_mastered(score_of(history))
    )
    if not scores:
        return Expected(None, None, False, next_score)
    score = score_of(scores)
    return Expected(score, scale.level_for(score), scale.is_mastered(score), next_score)


def decaying_average(scores: Sequence[float], weight: float) -> float:
    value = scores[0]
    for score in scores[1:]:
        value += weight * (score - value)
    return tidy(value)


def weighted_average(scores: Sequence[float], weight: float) -> float:
    if len(scores) == 1:
        return scores[0]
    return tidy(weight * scores[-1] + (1 - weight) * fmean(scores[:-1]))


def mode(scores: Sequence[float], ties_to_higher: bool) -> float:
    counts = {score: scores.count(score) for score in scores}
    most = max(counts.values())
    tied = [score for score in scores if counts[score] == most]
    return max(tied) if ties_to_higher else tied[-1]


def power_law(scores: Sequence[float], lowest: float) -> float:
    """Least squares of ln(score) on ln(attempt), predicted at the last attempt.

    A history with a score at or below zero is fitted on scores shifted so that the scale's
    lowest point becomes 1, and the prediction is shifted back.
    """
    if len(scores) == 1:
        return scores[0]
    shift = 0.0 if min(scores) > 0 else 1 - lowest
    xs = [math.log(attempt) for attempt in range(1, len(scores) + 1)]
    ys = [math.log(score + shift) for score in scores]
    mean_x = math.fsum(xs) / len(xs)
    mean_y = math.fsum(ys) / len(ys)
    spread_x = math.fsum((x - mean_x) ** 2 for x in xs)
    slope = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread_x
    return tidy(math.exp(mean_y + slope * (xs[-1] - mean_x)) - shift)


def n_mastery(observations: Sequence[Observation], scale: MasteryScale, n: int) -> Expected:
    scores = ordered_scores(observations, scale)

    def at_mastery(history: Sequence[float]) -> list[float]:
        return [score for score in history if scale.is_mastered(score)]

    next_score = lowest_next_score(scores, scale, lambda history: len(at_mastery(history)) >= n)
    if not scores:
        return Expected(None, None, False, next_score)
    reached = at_mastery(scores)
    if len(reached) >= n:
        score = scale.clamp(tidy(fmean(reached)))
        return Expected(score, scale.level_for(score), True, None)
    score = min(scale.clamp(tidy(fmean(scores))), highest_level_below_mastery(scale).points)
    return Expected(score, scale.level_for(score), False, next_score)


def knowledge_probability(
    correct: Sequence[bool], p_init: float, p_transit: float, p_slip: float, p_guess: float
) -> float:
    """P(L) after the observations (Corbett & Anderson 1995)."""
    known = p_init
    for is_correct in correct:
        if is_correct:
            evidence_if_known = known * (1 - p_slip)
            evidence_if_unknown = (1 - known) * p_guess
        else:
            evidence_if_known = known * p_slip
            evidence_if_unknown = (1 - known) * (1 - p_guess)
        posterior = evidence_if_known / (evidence_if_known + evidence_if_unknown)
        known = posterior + (1 - posterior) * p_transit
    return known


def bkt(observations: Sequence[Observation], scale: MasteryScale, p: Mapping[str, float]):
    scores = ordered_scores(observations, scale)

    def probability_of(history: Sequence[float]) -> float:
        correct = [scale.is_mastered(score) for score in history]
        return tidy(
            knowledge_probability(correct, p["p_init"], p["p_transit"], p["p_slip"], p["p_guess"])
        )

    next_score = lowest_next_score(
        scores, scale, lambda history: bool(history) and probability_of(history) >= p["threshold"]
    )
    if not scores:
        return Expected(None, None, False, next_score)
    probability = probability_of(scores)
    mastered = probability >= p["threshold"]
    if mastered:
        level = mastery_level(scale)
    else:
        level = scale.level_for(min(scores[-1], highest_level_below_mastery(scale).points))
    return Expected(probability, level, mastered, next_score, probability)


def expected(
    name: str,
    observations: Sequence[Observation],
    scale: MasteryScale,
    params: Mapping[str, float] | None = None,
) -> Expected:
    """The reference result of a method (params missing take the registry's defaults)."""
    p = {**CALCULATION_METHODS[name].defaults(), **(params or {})}
    window = int(p.get("window", 0))
    higher = p.get("ties") == 1
    formulas: dict[str, Callable[[Sequence[float]], float]] = {
        "latest": lambda scores: scores[-1],
        "highest": max,
        "average": lambda scores: tidy(fmean(scores)),
        "mode": lambda scores: mode(scores, higher),
        "decaying_average": lambda scores: decaying_average(scores, p["weight"]),
        "weighted_average": lambda scores: weighted_average(scores, p["weight"]),
        "power_law": lambda scores: power_law(scores, scale.min_points),
        "recent_average": lambda scores: tidy(fmean(scores[-window:])),
        "recent_highest": lambda scores: max(scores[-window:]),
        "recent_mode": lambda scores: mode(scores[-window:], higher),
    }
    if name == "n_mastery":
        return n_mastery(observations, scale, int(p["n"]))
    if name == "bkt":
        return bkt(observations, scale, p)
    return _scale_valued(observations, scale, formulas[name])
