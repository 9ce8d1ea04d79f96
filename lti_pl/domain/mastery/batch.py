"""The mastery engine's fast path, for recomputing many histories (a whole course) at once.

`calculate` is the reference: each method's formula written plainly, over observations in any
order. Run for every student x target of a course, that plainness costs: an Observation per
score, a sort per history, parameter checks per call, and `lowest_next_score` recomputing the
whole formula from the first score for every level of the scale. `prepare` checks a method's
parameters and reads the scale once, then takes scores already ordered oldest first (the
database orders them) as plain floats, and finds the next score to master from the history's
running state: one step per level tried, or a closed form where the rule gives one exactly.

Its results equal `calculate`'s exactly, not approximately: every formula below performs the
same float operations in the same order as its reference in canvas.py, power_law.py and bkt.py
(a property test compares the two paths, tests/unit/domain/mastery/test_mastery_batch.py).
A change to a method's formula must be made in both places.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from statistics import fmean

from lti_pl.domain.mastery import canvas
from lti_pl.domain.mastery.methods import METHOD_PARAMETERS, calculation_method, validate_params
from lti_pl.domain.mastery.result import (
    BKT_METHOD,
    NO_EVIDENCE,
    MasteryResult,
    Observation,
    format_points,
    highest_level_below_mastery,
    mastery_level,
    ordered_scores,
    outlook,
    tidy,
)
from lti_pl.domain.targets import MasteryLevel, MasteryScale

#: A prepared method: scores oldest first to the result `calculate` gives for them.
ScoresCalculator = Callable[[Sequence[float]], MasteryResult]

# Observations built for the reference path all carry this time: the stable sort then keeps
# the order the scores came in.
_SAME_TIME = datetime(2000, 1, 1)


class _Scale:
    """What the fast methods read from a scale, computed once per prepared method."""

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
        # `lowest_next_score` tries the levels' points lowest first.
        self.candidates: tuple[float, ...] = tuple(self.ascending_points)
        self.mastered_outlook = outlook(scale, True, None)
        self.unreachable_outlook = outlook(scale, False, None)
        self.next_outlooks = {points: outlook(scale, False, points) for points in self.candidates}

    def check(self, scores: Sequence[float]) -> None:
        """Raise what `calculate` raises for a score that is not a number or off the scale."""
        low, high = self.low, self.high
        for score in scores:
            if not low <= score <= high or score.__class__ is bool:
                # The reference path builds the same error (the first offending score).
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


def _scale_valued(
    ctx: _Scale,
    method: str,
    lead: str,
    estimate: Callable[[Sequence[float]], float],
    extend: Callable[[Sequence[float]], Callable[[float], float]] | None,
) -> ScoresCalculator:
    """`result.scale_valued_result` on ordered scores.

    Args:
        ctx: the scale.
        method: the method's name.
        lead: the start of the explanation.
        estimate: the method's formula on a non-empty history, as in the reference.
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
            f"{lead} {format_points(score)}, {level.label}; {ctx.outlook(mastered, next_score)}."
        )
        return MasteryResult(method, score, level, mastered, next_score, explanation)

    return compute


def _latest(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    # Appending p gives p: mastered exactly when p reaches the threshold.
    return _scale_valued(
        ctx, "latest", "Your most recent score counts:", lambda scores: scores[-1], None
    )


def _highest(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    # Not mastered means the best so far is below the threshold: only p itself can reach it.
    return _scale_valued(ctx, "highest", "Your best score counts: your highest score is", max, None)


def _average(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    def estimate(scores: Sequence[float]) -> float:
        return tidy(fmean(scores))

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        return lambda points: estimate([*scores, points])

    return _scale_valued(
        ctx, "average", "All your scores count equally: your average is", estimate, extend
    )


def _mode(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    estimate = canvas.most_frequent_score

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        return lambda points: estimate([*scores, points])

    return _scale_valued(ctx, "mode", "Your most frequent score counts: it is", estimate, extend)


def _decaying_average(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    weight = params["weight"]

    def running(scores: Sequence[float]) -> float:
        value = scores[0]
        for index in range(1, len(scores)):
            value += weight * (scores[index] - value)
        return value

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        value = running(scores)
        return lambda points: tidy(value + weight * (points - value))

    return _scale_valued(
        ctx,
        "decaying_average",
        "Your latest scores count most: your decaying average is",
        lambda scores: tidy(running(scores)),
        extend,
    )


def _weighted_average(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    weight = params["weight"]

    def estimate(scores: Sequence[float]) -> float:
        if len(scores) == 1:
            return scores[0]
        return tidy(weight * scores[-1] + (1 - weight) * fmean(scores[:-1]))

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        earlier = (1 - weight) * fmean(scores)
        return lambda points: tidy(weight * points + earlier)

    return _scale_valued(
        ctx,
        "weighted_average",
        f"Your latest score counts {format_points(weight * 100)}% and your earlier scores "
        f"{format_points((1 - weight) * 100)}%: your weighted average is",
        estimate,
        extend,
    )


def _power_law(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    lowest = ctx.low
    logs: dict[float, float] = {}
    # Per number of attempts k: x - mean(x) for each attempt, their spread, and the last one's.
    attempts: dict[int, tuple[list[float], float, float]] = {}

    def shifted_log(score: float) -> float:
        value = logs.get(score)
        if value is None:
            value = logs[score] = math.log(score - lowest + 1)
        return value

    def attempts_of(count: int) -> tuple[list[float], float, float]:
        known = attempts.get(count)
        if known is None:
            xs = [math.log(attempt) for attempt in range(1, count + 1)]
            mean_x = math.fsum(xs) / len(xs)
            spread_x = math.fsum((x - mean_x) ** 2 for x in xs)
            known = attempts[count] = ([x - mean_x for x in xs], spread_x, xs[-1] - mean_x)
        return known

    def predict(scores: Sequence[float], ys: list[float]) -> float:
        # `power_law.power_law_estimate`, with x terms cached per k and logs per score.
        if len(scores) == 1:
            return scores[0]
        dxs, spread_x, last_dx = attempts_of(len(ys))
        mean_y = math.fsum(ys) / len(ys)
        slope = math.fsum([dx * (y - mean_y) for dx, y in zip(dxs, ys, strict=True)]) / spread_x
        log_prediction = mean_y + slope * last_dx
        return math.exp(log_prediction) + lowest - 1

    def estimate(scores: Sequence[float]) -> float:
        return tidy(predict(scores, [shifted_log(score) for score in scores]))

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        ys = [shifted_log(score) for score in scores]
        return lambda points: tidy(predict([*scores, points], [*ys, shifted_log(points)]))

    return _scale_valued(
        ctx, "power_law", "Your trend across attempts counts: it predicts", estimate, extend
    )


def _n_mastery(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    n = int(params["n"])
    mastery = ctx.mastery
    label = mastery_level(ctx.scale).label
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
        if len(reached) >= n:
            score = ctx.clamp(tidy(fmean(reached)))
            level = ctx.level_for(score)
            explanation = (
                f"You reached {label} {len(reached)} times ({n} needed): the average of those "
                f"scores is {format_points(score)}, {level.label}; {ctx.mastered_outlook}."
            )
            return MasteryResult("n_mastery", score, level, True, None, explanation)
        next_score = first_mastered if len(reached) + 1 >= n else None
        score = min(ctx.clamp(tidy(fmean(scores))), cap)
        level = ctx.level_for(score)
        explanation = (
            f"You have reached {label} {len(reached)} of the {n} times needed: your score is "
            f"{format_points(score)}, {level.label}; "
            f"{ctx.outlook(False, next_score)}."
        )
        return MasteryResult("n_mastery", score, level, False, next_score, explanation)

    return compute


def _bkt(ctx: _Scale, params: Mapping[str, float]) -> ScoresCalculator:
    p_init = params["p_init"]
    p_transit = params["p_transit"]
    p_slip = params["p_slip"]
    p_guess = params["p_guess"]
    threshold = params["threshold"]
    mastery, candidates = ctx.mastery, ctx.candidates
    top = mastery_level(ctx.scale)
    cap = highest_level_below_mastery(ctx.scale).points
    threshold_text = format_points(threshold * 100)

    def step(known: float, is_correct: bool) -> float:
        # One iteration of `bkt.knowledge_probability`.
        if is_correct:
            evidence_if_known = known * (1 - p_slip)
            evidence_if_unknown = (1 - known) * p_guess
        else:
            evidence_if_known = known * p_slip
            evidence_if_unknown = (1 - known) * (1 - p_guess)
        posterior = evidence_if_known / (evidence_if_known + evidence_if_unknown)
        return posterior + (1 - posterior) * p_transit

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
        percent = math.floor(round(probability * 100, 6))
        explanation = (
            f"Your evidence so far gives a {percent}% chance that you have learned this "
            f"({threshold_text}% counts as mastered), {level.label}; "
            f"{ctx.outlook(mastered, next_score)}."
        )
        return MasteryResult(
            BKT_METHOD, probability, level, mastered, next_score, explanation, probability
        )

    return compute


_FAST_METHODS: Mapping[str, Callable[[_Scale, Mapping[str, float]], ScoresCalculator]] = {
    "latest": _latest,
    "highest": _highest,
    "average": _average,
    "mode": _mode,
    "decaying_average": _decaying_average,
    "weighted_average": _weighted_average,
    "power_law": _power_law,
    "n_mastery": _n_mastery,
    "bkt": _bkt,
}


def prepare(
    method: str, scale: MasteryScale, params: Mapping[str, float] | None = None
) -> ScoresCalculator:
    """A method ready to run on many histories: scores oldest first to `calculate`'s result.

    Args:
        method: a key of CALCULATION_METHODS.
        scale: the targets' mastery scale.
        params: the method's parameters; missing ones take their defaults.

    Returns:
        A function of one history's scores, oldest first (ties in the order of the sequence),
        giving exactly what `calculate` gives for those observations. It raises
        InvalidInputError for a score outside the scale, as `calculate` does.

    Raises:
        InvalidInputError: unknown method or bad parameters.
    """
    reference = calculation_method(method)
    checked = validate_params(method, params or {})
    defaults = {parameter.name: parameter.default for parameter in METHOD_PARAMETERS[method]}
    merged = {**defaults, **checked}
    fast = _FAST_METHODS.get(method)
    if fast is not None:
        return fast(_Scale(scale), merged)

    def compute(scores: Sequence[float]) -> MasteryResult:
        return reference([Observation(s, _SAME_TIME) for s in scores], scale, merged)

    return compute
