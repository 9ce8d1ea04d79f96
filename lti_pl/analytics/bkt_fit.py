"""Fit Bayesian Knowledge Tracing parameters by expectation–maximisation (Baum–Welch).

BKT (Corbett & Anderson 1995) is a two-state hidden Markov model per student and skill: the
student does not know / knows the skill; `prior` is P(known) before the first attempt, `learn` the
chance to move to known after each attempt (no forgetting), `guess` P(correct | not known) and
`slip` P(incorrect | known). EM alternates the scaled forward–backward pass (the E step: for every
attempt, the posterior of each state and of each transition) with re-estimating the four
parameters from those expected counts (the M step), which never lowers the likelihood. All
students are processed at once as a padded array; padding has emission 1, so it changes nothing.

Guess and slip above 0.5 describe a skill where knowing it makes you worse: such fits (EM's mirror
solution) are refused, and a few deterministic starting points guard against local optima.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
EPSILON = 1e-6
#: Starting points (prior, learn, guess, slip); the best likelihood within bounds wins.
STARTS = ((0.5, 0.1, 0.2, 0.1), (0.2, 0.3, 0.3, 0.2), (0.7, 0.05, 0.1, 0.05))


@dataclass(frozen=True)
class BktParameters:
    """The four BKT parameters."""

    prior: float
    learn: float
    guess: float
    slip: float


@dataclass(frozen=True)
class BktFit:
    """A fit's parameters, log-likelihood and how much data it saw."""

    parameters: BktParameters
    log_likelihood: float
    iterations: int
    students: int
    observations: int


def _pad(sequences: Sequence[Sequence[bool]]) -> tuple[Array, Array]:
    length = max((len(s) for s in sequences), default=0)
    correct = np.zeros((len(sequences), length))
    mask = np.zeros((len(sequences), length))
    for row, sequence in enumerate(sequences):
        correct[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1.0
    return correct, mask


def _emissions(correct: Array, mask: Array, p: BktParameters) -> Array:
    """P(observation | state) with shape (students, attempts, 2): [not known, known]."""
    unknown = np.where(correct > 0, p.guess, 1 - p.guess)
    known = np.where(correct > 0, 1 - p.slip, p.slip)
    emission = np.stack([unknown, known], axis=-1)
    return np.where(mask[..., None] > 0, emission, 1.0)


def _forward(emission: Array, p: BktParameters) -> tuple[Array, Array, Array]:
    """Scaled forward pass: predicted P(state) before each attempt, filtered alphas, scales."""
    students, length, _ = emission.shape
    predicted = np.empty((students, length, 2))
    alpha = np.empty((students, length, 2))
    scale = np.empty((students, length))
    state = np.tile(np.array([1 - p.prior, p.prior]), (students, 1))
    for t in range(length):
        predicted[:, t] = state
        joint = state * emission[:, t]
        scale[:, t] = joint.sum(axis=1)
        alpha[:, t] = joint / scale[:, t, None]
        known = alpha[:, t, 1] + alpha[:, t, 0] * p.learn
        state = np.stack([1 - known, known], axis=1)
    return predicted, alpha, scale


def _step(
    correct: Array,
    mask: Array,
    p: BktParameters,
    strength: float = 0.0,
    means: BktParameters | None = None,
) -> tuple[BktParameters, float]:
    """One EM iteration: the new parameters and the log-likelihood of the old ones.

    With `strength` > 0 each parameter's expected counts get `strength` pseudo-observations at
    `means` (a Beta prior: the MAP form of EM), so a standard with little evidence stays near
    the defaults instead of jumping to 0 or 1; with thousands of attempts it hardly matters.
    """
    m = means or BktParameters(0.5, 0.5, 0.5, 0.5)
    s = strength
    emission = _emissions(correct, mask, p)
    _, alpha, scale = _forward(emission, p)
    students, length, _ = emission.shape
    transition = np.array([[1 - p.learn, p.learn], [0.0, 1.0]])
    beta = np.ones((students, length, 2))
    learned = np.zeros(students)  # expected unknown -> known moves
    stayed_unknown_from = np.zeros(students)  # expected time in "unknown" before a move
    for t in range(length - 2, -1, -1):
        weighted = emission[:, t + 1] * beta[:, t + 1]
        beta[:, t] = (weighted @ transition.T) / scale[:, t + 1, None]
        step_mask = mask[:, t + 1]
        # xi(unknown -> known) at t, normalised by the scale of t+1.
        xi = alpha[:, t, 0] * p.learn * weighted[:, 1] / scale[:, t + 1]
        learned += xi * step_mask
    gamma = alpha * beta
    gamma /= gamma.sum(axis=2, keepdims=True)
    for t in range(length - 1):
        stayed_unknown_from += gamma[:, t, 0] * mask[:, t + 1]
    unknown = gamma[..., 0] * mask
    known = gamma[..., 1] * mask

    def ratio(hits: float, total: float, mean: float) -> float:
        return float(np.clip((hits + s * mean) / max(total + s, EPSILON), EPSILON, 1 - EPSILON))

    new = BktParameters(
        prior=ratio(float(gamma[:, 0, 1].sum()), float(students), m.prior),
        learn=ratio(float(learned.sum()), float(stayed_unknown_from.sum()), m.learn),
        guess=ratio(float((unknown * correct).sum()), float(unknown.sum()), m.guess),
        slip=ratio(float((known * (1 - correct)).sum()), float(known.sum()), m.slip),
    )
    log_likelihood = float(np.log(np.where(mask > 0, scale, 1.0)).sum())
    return new, log_likelihood


def fit(
    sequences: Sequence[Sequence[bool]],
    *,
    max_iterations: int = 200,
    tolerance: float = 1e-6,
    starts: Sequence[tuple[float, float, float, float]] = STARTS,
    prior_strength: float = 0.0,
    prior_means: BktParameters | None = None,
) -> BktFit:
    """Fit BKT by EM to each student's attempts (oldest first, True when at mastery).

    Args:
        sequences: one list of attempts per student; empty lists are ignored.
        max_iterations: EM iterations per starting point at most.
        tolerance: stop when no parameter moves by more than this.
        starts: starting points (prior, learn, guess, slip).
        prior_strength: pseudo-observations pulling each parameter to `prior_means` (0: plain
            maximum likelihood).
        prior_means: where they pull (required when `prior_strength` > 0).

    Returns:
        The best fit with guess and slip below 0.5 (or the best of all, if none is).

    Raises:
        ValueError: no attempts at all.
    """
    data = [list(s) for s in sequences if len(s)]
    if not data:
        raise ValueError("no attempts to fit")
    correct, mask = _pad(data)
    best: BktFit | None = None
    for start in starts:
        params = BktParameters(*start)
        iterations = 0
        for iterations in range(1, max_iterations + 1):  # noqa: B007
            new, _ = _step(correct, mask, params, prior_strength, prior_means)
            moved = max(abs(a - b) for a, b in zip(_values(new), _values(params), strict=True))
            params = new
            if moved < tolerance:
                break
        final = log_likelihood_of(correct, mask, params)
        candidate = BktFit(params, final, iterations, len(data), int(mask.sum()))
        is_plausible = params.guess < 0.5 and params.slip < 0.5
        if best is None or (
            is_plausible
            and (
                not (best.parameters.guess < 0.5 and best.parameters.slip < 0.5)
                or candidate.log_likelihood > best.log_likelihood
            )
        ):
            best = candidate
    assert best is not None  # noqa: S101 - starts is not empty
    return best


def _values(p: BktParameters) -> tuple[float, float, float, float]:
    return (p.prior, p.learn, p.guess, p.slip)


def log_likelihood_of(correct: Array, mask: Array, p: BktParameters) -> float:
    """The log-likelihood of padded data under the parameters."""
    _, _, scale = _forward(_emissions(correct, mask, p), p)
    return float(np.log(np.where(mask > 0, scale, 1.0)).sum())


def predict_next(sequence: Sequence[bool], p: BktParameters) -> tuple[float, float]:
    """(P(known now), P(the next attempt is at mastery)) after the attempts so far."""
    known = p.prior
    for is_correct in sequence:
        if is_correct:
            a, b = known * (1 - p.slip), (1 - known) * p.guess
        else:
            a, b = known * p.slip, (1 - known) * (1 - p.guess)
        posterior = a / (a + b)
        known = posterior + (1 - posterior) * p.learn
    return known, known * (1 - p.slip) + (1 - known) * p.guess


def predict_each(sequences: Sequence[Sequence[bool]], p: BktParameters) -> list[list[float]]:
    """For every attempt, P(at mastery) predicted from the attempts before it."""
    data = [list(s) for s in sequences]
    if not any(data):
        return [[] for _ in data]
    correct, mask = _pad(data)
    predicted, _, _ = _forward(_emissions(correct, mask, p), p)
    chance = predicted[..., 1] * (1 - p.slip) + predicted[..., 0] * p.guess
    return [chance[row, : len(s)].tolist() for row, s in enumerate(data)]
