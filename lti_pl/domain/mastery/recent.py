"""The most frequent score (the mode) and methods over the most recent scores only."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lti_pl.domain.mastery.engine import (
    ScaleContext,
    ScoresCalculator,
    appending,
    mean,
    scale_valued,
    windowed,
)

#: Value of the mode's `ties` parameter that gives a tie to the higher score.
TIES_TO_HIGHER = 1.0


def most_frequent(ties_to_higher: bool) -> Callable[[Sequence[float]], float]:
    """The mode of a history: the score that occurs most often.

    Args:
        ties_to_higher: among equally frequent scores, the higher wins (as MasteryConnect
            does); otherwise the one that occurred most recently (a student's newest work
            says most about where they are).
    """

    def estimate(scores: Sequence[float]) -> float:
        counts: dict[float, int] = {}
        last_seen: dict[float, int] = {}
        for index, score in enumerate(scores):
            counts[score] = counts.get(score, 0) + 1
            last_seen[score] = index
        if ties_to_higher:
            return max(counts, key=lambda score: (counts[score], score))
        return max(counts, key=lambda score: (counts[score], last_seen[score]))

    return estimate


def mode(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Mode: the most frequent score; ties by the `ties` parameter."""
    estimate = most_frequent(params["ties"] == TIES_TO_HIGHER)
    return scale_valued(ctx, "mode", lead, estimate, appending(estimate))


recent_average = windowed("recent_average", mean)


recent_highest = windowed("recent_highest", max)


def recent_mode(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """The mode of the most recent `window` scores; ties by the `ties` parameter."""
    formula = most_frequent(params["ties"] == TIES_TO_HIGHER)
    return windowed("recent_mode", formula)(ctx, params, lead)
