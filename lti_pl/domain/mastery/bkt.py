"""Bayesian Knowledge Tracing: the probability that the student knows the target."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from lti_pl.domain.mastery.engine import ScaleContext, ScoresCalculator
from lti_pl.domain.mastery.result import (
    BKT_METHOD,
    NO_EVIDENCE,
    MasteryResult,
    highest_level_below_mastery,
    mastery_level,
    tidy,
)


def knowledge_step(
    known: float, is_correct: bool, p_transit: float, p_slip: float, p_guess: float
) -> float:
    """One BKT step: Bayes' rule on one observation, then the learning transition.

    P(L|correct) = P(L)(1 - slip) / (P(L)(1 - slip) + (1 - P(L)) guess), or
    P(L|incorrect) = P(L) slip / (P(L) slip + (1 - P(L))(1 - guess)); then
    P(L) = posterior + (1 - posterior) * transit.
    """
    if is_correct:
        evidence_if_known = known * (1 - p_slip)
        evidence_if_unknown = (1 - known) * p_guess
    else:
        evidence_if_known = known * p_slip
        evidence_if_unknown = (1 - known) * (1 - p_guess)
    posterior = evidence_if_known / (evidence_if_known + evidence_if_unknown)
    return posterior + (1 - posterior) * p_transit


def bkt(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Bayesian Knowledge Tracing (Corbett & Anderson 1995).

    An observation is correct when its score reaches the scale's mastery threshold. The score
    is the probability that the student knows the target; it is mastered at `threshold`.
    Level: when mastered, the scale's mastery level (the lowest level at or above the
    threshold); otherwise the level of the latest score, capped at the highest level below
    mastery, so the level never claims mastery the probability has not reached.
    """
    p_init = params["p_init"]
    p_transit = params["p_transit"]
    p_slip = params["p_slip"]
    p_guess = params["p_guess"]
    threshold = params["threshold"]
    mastery, candidates = ctx.mastery, ctx.candidates
    top = mastery_level(ctx.scale)
    cap = highest_level_below_mastery(ctx.scale).points

    def step(known: float, is_correct: bool) -> float:
        return knowledge_step(known, is_correct, p_transit, p_slip, p_guess)

    def next_score_after(known: float) -> float | None:
        # The next score only matters through whether it is correct: two outcomes at most.
        outcomes: dict[bool, bool] = {}
        for points in candidates:
            is_correct = points >= mastery
            masters = outcomes.get(is_correct)
            if masters is None:
                masters = outcomes[is_correct] = tidy(step(known, is_correct)) >= threshold
            if masters:
                return points
        return None

    empty = MasteryResult(BKT_METHOD, None, None, False, next_score_after(p_init), NO_EVIDENCE)

    def compute(scores: Sequence[float]) -> MasteryResult:
        ctx.check(scores)
        if not scores:
            return empty
        known = p_init
        for score in scores:
            known = step(known, score >= mastery)
        probability = tidy(known)
        mastered = probability >= threshold
        next_score = None if mastered else next_score_after(known)
        level = top if mastered else ctx.level_for(min(scores[-1], cap))
        # Floor, not round: 94.9% shown as 95% next to a 95% threshold would look mastered.
        percent = math.floor(round(probability * 100, 6))
        explanation = (
            f"{lead}: your evidence so far gives {percent}%, {level.label}; "
            f"{ctx.outlook(mastered, next_score)}."
        )
        return MasteryResult(
            BKT_METHOD, probability, level, mastered, next_score, explanation, probability
        )

    return compute
