"""Bayesian Knowledge Tracing (BKT, Corbett & Anderson 1995)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from lti_pl.domain.mastery.result import (
    BKT_METHOD,
    NO_EVIDENCE,
    MasteryResult,
    Observation,
    format_points,
    highest_level_below_mastery,
    lowest_next_score,
    mastery_level,
    ordered_scores,
    outlook,
    tidy,
)
from lti_pl.domain.targets import MasteryLevel, MasteryScale

#: Defaults of the BKT parameters.
DEFAULT_P_INIT = 0.3
DEFAULT_P_TRANSIT = 0.1
DEFAULT_P_SLIP = 0.1
DEFAULT_P_GUESS = 0.2
DEFAULT_THRESHOLD = 0.95


def knowledge_probability(
    correct: Sequence[bool],
    p_init: float,
    p_transit: float,
    p_slip: float,
    p_guess: float,
) -> float:
    """P(L) after the observations: the probability that the student knows the skill.

    For each observation, Bayes' rule gives the posterior
    P(L|correct) = P(L)(1 - slip) / (P(L)(1 - slip) + (1 - P(L)) guess) or
    P(L|incorrect) = P(L) slip / (P(L) slip + (1 - P(L))(1 - guess)),
    then the learning transition P(L) = posterior + (1 - posterior) * transit.

    Args:
        correct: whether each observation, oldest first, was correct.
        p_init: P(L0), the probability of knowing the skill before any evidence.
        p_transit: the probability of learning it at each opportunity.
        p_slip: the probability of an incorrect answer while knowing it (below 0.5).
        p_guess: the probability of a correct answer without knowing it (below 0.5).

    Returns:
        The probability, p_init without observations.
    """
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


def bkt_mastery(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """BKT (Corbett & Anderson 1995): the probability that the student knows the target.

    An observation is correct when its score reaches the scale's mastery threshold. The score
    is the probability; the target is mastered when it reaches `threshold`. Level rule: when
    mastered, the scale's mastery level (the lowest level at or above the threshold); otherwise
    the level of the latest score, capped at the highest level below mastery, so the level
    never claims mastery the probability has not reached. Params `p_init` (0.3), `p_transit`
    (0.1), `p_slip` (0.1), `p_guess` (0.2), `threshold` (0.95).
    """
    p_init = params.get("p_init", DEFAULT_P_INIT)
    p_transit = params.get("p_transit", DEFAULT_P_TRANSIT)
    p_slip = params.get("p_slip", DEFAULT_P_SLIP)
    p_guess = params.get("p_guess", DEFAULT_P_GUESS)
    threshold = params.get("threshold", DEFAULT_THRESHOLD)
    scores = ordered_scores(observations, scale)

    def probability_of(history: Sequence[float]) -> float:
        correct = [scale.is_mastered(score) for score in history]
        return tidy(knowledge_probability(correct, p_init, p_transit, p_slip, p_guess))

    next_score = lowest_next_score(
        scores, scale, lambda history: bool(history) and probability_of(history) >= threshold
    )
    if not scores:
        return MasteryResult(BKT_METHOD, None, None, False, next_score, NO_EVIDENCE)
    probability = probability_of(scores)
    mastered = probability >= threshold
    level: MasteryLevel
    if mastered:
        level = mastery_level(scale)
    else:
        level = scale.level_for(min(scores[-1], highest_level_below_mastery(scale).points))
    # Floor, not round: 94.9% shown as 95% next to a 95% threshold would look mastered.
    percent = math.floor(round(probability * 100, 6))
    explanation = (
        f"Your evidence so far gives a {percent}% chance that you have learned this "
        f"({format_points(threshold * 100)}% counts as mastered), {level.label}; "
        f"{outlook(scale, mastered, next_score)}."
    )
    return MasteryResult(
        BKT_METHOD, probability, level, mastered, next_score, explanation, probability
    )
