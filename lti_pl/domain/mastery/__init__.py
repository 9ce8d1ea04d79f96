"""The mastery engine: a student's evidence history on one target to a result.

`methods.CALCULATION_METHODS` holds one record per calculation method (its words, parameters and
computation); `prepare` readies one for many histories, `calculate` runs one on evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lti_pl.domain.mastery.engine import ScaleContext, ScoresCalculator
from lti_pl.domain.mastery.methods import (
    CALCULATION_METHODS,
    Method,
    calculation_method,
    teacher_explanation,
    validate_params,
)
from lti_pl.domain.mastery.parameters import Kind, Parameter
from lti_pl.domain.mastery.result import MasteryResult, Observation, ordered_scores
from lti_pl.domain.targets import MasteryScale

__all__ = [
    "CALCULATION_METHODS",
    "Kind",
    "MasteryResult",
    "Method",
    "Observation",
    "Parameter",
    "ScoresCalculator",
    "calculate",
    "calculation_method",
    "prepare",
    "teacher_explanation",
    "validate_params",
]


def prepare(
    name: str, scale: MasteryScale, params: Mapping[str, float] | None = None
) -> ScoresCalculator:
    """A method ready to run on many histories: scores oldest first to the result.

    Args:
        name: a key of CALCULATION_METHODS.
        scale: the targets' mastery scale.
        params: the method's parameters; missing ones take their defaults.

    Returns:
        A function of one history's scores, oldest first (ties in the order of the
        sequence). It raises InvalidInputError for a score outside the scale.

    Raises:
        InvalidInputError: unknown method or bad parameters.
    """
    record = calculation_method(name)
    merged = {**record.defaults(), **validate_params(name, params or {})}
    return record.build(ScaleContext(scale), merged, record.student_sentence(merged, scale))


def calculate(
    name: str,
    observations: Sequence[Observation],
    scale: MasteryScale,
    params: Mapping[str, float] | None = None,
) -> MasteryResult:
    """A student's result on one target under a calculation method.

    Args:
        name: a key of CALCULATION_METHODS.
        observations: the student's evidence on the target, in any order (sorted stably by
            `assessed_at`).
        scale: the target's mastery scale.
        params: the method's parameters; missing ones take their defaults.

    Raises:
        InvalidInputError: unknown method, bad parameters, or a score outside the scale.
    """
    compute = prepare(name, scale, params)
    return compute(ordered_scores(observations, scale))
