"""Marzano's power law: the trend of the scores over attempts."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from lti_pl.domain.mastery.engine import ScaleContext, ScoresCalculator, scale_valued
from lti_pl.domain.mastery.result import tidy


def power_law(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Marzano's power law: the trend of the scores over attempts, at the newest attempt.

    The published definition: fit ln(score) = ln a + b * ln(attempt) by least squares over
    attempts 1..k and report a * k**b (clamped to the scale); a single score is itself.
    Scores 1, 2, 3, 4 give 4.00 and 1, 3, 2, 4 give 3.66, as mastery trackers publish.

    Zeros: ln(0) is undefined. A history whose scores are all above zero is fitted exactly as
    published, so zeros never change a positive-score result. A history with a score at or
    below zero is fitted on every score shifted so that the scale's lowest point becomes 1
    (y = ln(score - lowest + 1)), and the prediction is shifted back: every score stays
    finite and ordered, and the lowest score sits at ln 1 = 0 instead of an arbitrary
    ln(epsilon) outlier that would swing the whole trend.
    """
    shift = 1 - ctx.low
    logs: dict[float, float] = {}
    shifted_logs: dict[float, float] = {}
    # Per number of attempts k: x - mean(x) for each attempt, their spread, and the last one's.
    attempts: dict[int, tuple[list[float], float, float]] = {}

    def log_of(score: float) -> float:
        value = logs.get(score)
        if value is None:
            value = logs[score] = math.log(score)
        return value

    def shifted_log(score: float) -> float:
        value = shifted_logs.get(score)
        if value is None:
            value = shifted_logs[score] = math.log(score + shift)
        return value

    def attempts_of(count: int) -> tuple[list[float], float, float]:
        known = attempts.get(count)
        if known is None:
            xs = [math.log(attempt) for attempt in range(1, count + 1)]
            mean_x = math.fsum(xs) / len(xs)
            spread_x = math.fsum((x - mean_x) ** 2 for x in xs)
            known = attempts[count] = ([x - mean_x for x in xs], spread_x, xs[-1] - mean_x)
        return known

    def predict(ys: list[float]) -> float:
        dxs, spread_x, last_dx = attempts_of(len(ys))
        mean_y = math.fsum(ys) / len(ys)
        slope = math.fsum([dx * (y - mean_y) for dx, y in zip(dxs, ys, strict=True)]) / spread_x
        return math.exp(mean_y + slope * last_dx)

    def estimate(scores: Sequence[float]) -> float:
        if len(scores) == 1:
            return scores[0]
        if min(scores) > 0:
            return tidy(predict([log_of(score) for score in scores]))
        return tidy(predict([shifted_log(score) for score in scores]) - shift)

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        # The logs of the history are shared by every next score tried.
        positive = min(scores) > 0
        ys = [log_of(score) for score in scores] if positive else []
        shifted: list[float] = []

        def after(points: float) -> float:
            if positive and points > 0:
                return tidy(predict([*ys, log_of(points)]))
            if not shifted:
                shifted.extend(shifted_log(score) for score in scores)
            return tidy(predict([*shifted, shifted_log(points)]) - shift)

        return after

    return scale_valued(ctx, "power_law", lead, estimate, extend)
