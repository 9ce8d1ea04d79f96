"""Marzano's power law: the trend of a student's scores, not their average."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from lti_pl.domain.mastery.result import MasteryResult, Observation, scale_valued_result, tidy
from lti_pl.domain.targets import MasteryScale


def power_law_estimate(scores: Sequence[float], lowest: float) -> float:
    """The power-law prediction for the newest attempt, before clamping to the scale.

    Fits ln(y) = ln a + b * ln(attempt) by least squares over attempts 1..k and returns
    a * k**b, where y is the score shifted so the scale's lowest point becomes 1:
    y = score - lowest + 1, and the prediction is shifted back.

    Why the shift: ln(0) is undefined, and a zero is a common, meaningful score. Flooring zeros
    at a small epsilon would make ln(epsilon) an outlier whose size depends on an arbitrary
    constant and would swing the whole trend; shifting keeps every score finite, treats all
    scores alike (the shift applies even without zeros, so nudging a 0 to 0.01 moves the result
    only a little), and keeps the lowest score at ln 1 = 0. With this rule a newest score at the
    top of the scale never lowers the reported result (a property test checks it).

    Args:
        scores: at least one score, oldest first.
        lowest: the scale's lowest points.

    Returns:
        The prediction; a single score is itself.
    """
    if len(scores) == 1:
        return scores[0]
    xs = [math.log(attempt) for attempt in range(1, len(scores) + 1)]
    ys = [math.log(score - lowest + 1) for score in scores]
    mean_x = math.fsum(xs) / len(xs)
    mean_y = math.fsum(ys) / len(ys)
    spread_x = math.fsum((x - mean_x) ** 2 for x in xs)
    slope = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread_x
    log_prediction = mean_y + slope * (xs[-1] - mean_x)
    return math.exp(log_prediction) + lowest - 1


def power_law(
    observations: Sequence[Observation], scale: MasteryScale, params: Mapping[str, float]
) -> MasteryResult:
    """Power law (Marzano): a least-squares trend on log scores over log attempts.

    The prediction a * k**b for the newest attempt k, clamped to the scale; zeros are handled
    by shifting the scale (see `power_law_estimate`). A single score is itself.
    """
    return scale_valued_result(
        "power_law",
        observations,
        scale,
        lambda scores: tidy(power_law_estimate(scores, scale.min_points)),
        "Your trend across attempts counts: it predicts",
    )
