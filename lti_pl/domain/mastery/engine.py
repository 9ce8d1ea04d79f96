"""The computation of every calculation method: scores oldest first to a result.

This is the one implementation (the registry in methods.py names each method's builder
here). A builder reads the scale and the checked parameters once and returns a function of
one score history, so a course recompute runs thousands of histories through it cheaply. The
next score to master comes from the history's running state: one step per level tried, or a
closed form where the rule gives one exactly.

A plain, slow reference of every formula lives in the tests
(tests/unit/domain/mastery/reference.py); a property test checks that both agree.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from statistics import fmean

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

#: A prepared method: scores oldest first to the method's result.
ScoresCalculator = Callable[[Sequence[float]], MasteryResult]

#: A method's builder: the scale, the checked params (defaults filled in) and the student's
#: lead sentence ("Your recent work counts most") to a prepared method.
Builder = Callable[["ScaleContext", Mapping[str, float], str], ScoresCalculator]

# Observations built to report an off-scale score all carry this time, so that the stable
# sort keeps the order the scores came in.
_SAME_TIME = datetime(2000, 1, 1)

#: Value of the mode's `ties` parameter that gives a tie to the higher score.
TIES_TO_HIGHER = 1.0


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


def _scale_valued(
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


def _appending(
    estimate: Callable[[Sequence[float]], float],
) -> Callable[[Sequence[float]], Callable[[float], float]]:
    """`extend` for a formula without running state: the history with the score appended."""

    def extend(scores: Sequence[float]) -> Callable[[float], float]:
        return lambda points: estimate([*scores, points])

    return extend


def latest(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Canvas "Most Recent Score": the newest score."""
    # Appending p gives p: mastered exactly when p reaches the threshold.
    return _scale_valued(ctx, "latest", lead, lambda scores: scores[-1], None)


def highest(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Canvas "Highest Score": the best score so far."""
    # Not mastered means the best so far is below the threshold: only p itself can reach it.
    return _scale_valued(ctx, "highest", lead, max, None)


def _mean(scores: Sequence[float]) -> float:
    return tidy(fmean(scores))


def average(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """Canvas "Average": the mean of all scores."""
    return _scale_valued(ctx, "average", lead, _mean, _appending(_mean))


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
    return _scale_valued(ctx, "mode", lead, estimate, _appending(estimate))


def _windowed(
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

        return _scale_valued(ctx, method, lead, estimate, extend)

    return build


recent_average = _windowed("recent_average", _mean)
recent_highest = _windowed("recent_highest", max)


def recent_mode(ctx: ScaleContext, params: Mapping[str, float], lead: str) -> ScoresCalculator:
    """The mode of the most recent `window` scores; ties by the `ties` parameter."""
    formula = most_frequent(params["ties"] == TIES_TO_HIGHER)
    return _windowed("recent_mode", formula)(ctx, params, lead)


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

    return _scale_valued(
        ctx, "decaying_average", lead, lambda scores: tidy(running(scores)), extend
    )


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

    return _scale_valued(ctx, "weighted_average", lead, estimate, extend)


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

    return _scale_valued(ctx, "power_law", lead, estimate, extend)


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
