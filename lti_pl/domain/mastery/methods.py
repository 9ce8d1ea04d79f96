"""The calculation-method registry: names to methods, their parameters and descriptions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import bkt, canvas
from lti_pl.domain.mastery.bkt import bkt_mastery
from lti_pl.domain.mastery.canvas import (
    average,
    decaying_average,
    highest,
    latest,
    mode,
    n_mastery,
    weighted_average,
)
from lti_pl.domain.mastery.power_law import power_law
from lti_pl.domain.mastery.result import CalculationMethod, MasteryResult, Observation
from lti_pl.domain.targets import MasteryScale

CALCULATION_METHODS: Mapping[str, CalculationMethod] = MappingProxyType(
    {
        "decaying_average": decaying_average,
        "weighted_average": weighted_average,
        "n_mastery": n_mastery,
        "latest": latest,
        "highest": highest,
        "average": average,
        "mode": mode,
        "power_law": power_law,
        "bkt": bkt_mastery,
    }
)

METHOD_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "decaying_average": "Every score counts, the most recent most; older scores fade step "
        "by step.",
        "weighted_average": "The most recent score counts for a set share (65% by default), "
        "the average of all earlier scores for the rest (Canvas's weighted average).",
        "n_mastery": "Mastery must be shown a set number of times (2 by default); the result "
        "is then the average of the scores at mastery or above.",
        "latest": "The most recent score.",
        "highest": "The highest score so far.",
        "average": "The average of all scores, each counting equally.",
        "mode": "The most frequent score; a tie goes to the one seen most recently.",
        "power_law": "The trend of the scores across attempts (Marzano's power law), so steady "
        "growth counts before the average catches up.",
        "bkt": "The probability that the student has learned the target, updated after every "
        "score (Bayesian Knowledge Tracing); mastered at 95% by default.",
    }
)


@dataclass(frozen=True)
class Parameter:
    """A numeric parameter of a calculation method and its allowed range.

    Attributes:
        name: the key in a target's params.
        default: the value used when the param is not given.
        minimum: the lower bound.
        maximum: the upper bound, or None for none.
        minimum_allowed: whether the value may equal `minimum`.
        maximum_allowed: whether the value may equal `maximum`.
        whole: whether the value must be a whole number.
    """

    name: str
    default: float
    minimum: float
    maximum: float | None
    minimum_allowed: bool = True
    maximum_allowed: bool = True
    whole: bool = False

    def check(self, value: float) -> None:
        """Raise InvalidInputError with a one-line reason if the value is out of range."""
        too_low = value < self.minimum or (value == self.minimum and not self.minimum_allowed)
        too_high = self.maximum is not None and (
            value > self.maximum or (value == self.maximum and not self.maximum_allowed)
        )
        if too_low or too_high or (self.whole and not value.is_integer()):
            raise InvalidInputError(f"{self.name} must be {self.allowed()}.", field=self.name)

    def allowed(self) -> str:
        """The allowed range in words, e.g. "greater than 0 and at most 1"."""
        kind = "a whole number " if self.whole else ""
        low = f"{'at least' if self.minimum_allowed else 'greater than'} {self.minimum:g}"
        if self.maximum is None:
            return f"{kind}{low}"
        high = f"{'at most' if self.maximum_allowed else 'less than'} {self.maximum:g}"
        return f"{kind}{low} and {high}"


_WEIGHT = Parameter("weight", canvas.DEFAULT_WEIGHT, 0, 1, minimum_allowed=False)

METHOD_PARAMETERS: Mapping[str, tuple[Parameter, ...]] = MappingProxyType(
    {
        "decaying_average": (_WEIGHT,),
        "weighted_average": (_WEIGHT,),
        "n_mastery": (Parameter("n", canvas.DEFAULT_N, 1, None, whole=True),),
        "latest": (),
        "highest": (),
        "average": (),
        "mode": (),
        "power_law": (),
        # Slip and guess stay strictly between 0 and 0.5 so that a correct answer is always
        # evidence of knowing, and Bayes' rule never divides by zero.
        "bkt": (
            Parameter("p_init", bkt.DEFAULT_P_INIT, 0, 1),
            Parameter("p_transit", bkt.DEFAULT_P_TRANSIT, 0, 1),
            Parameter("p_slip", bkt.DEFAULT_P_SLIP, 0, 0.5, False, False),
            Parameter("p_guess", bkt.DEFAULT_P_GUESS, 0, 0.5, False, False),
            Parameter("threshold", bkt.DEFAULT_THRESHOLD, 0, 1, minimum_allowed=False),
        ),
    }
)


def calculation_method(name: str) -> CalculationMethod:
    """The calculation method registered under a name.

    Raises:
        InvalidInputError: no method has that name.
    """
    try:
        return CALCULATION_METHODS[name]
    except KeyError:
        known = ", ".join(CALCULATION_METHODS)
        raise InvalidInputError(
            f"Unknown calculation method {name!r}; choose one of {known}.",
            field="calculation_method",
        ) from None


def _parse(name: str, value: str | float) -> float | None:
    if isinstance(value, bool):
        raise InvalidInputError(f"{name} must be a number.", field=name)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            number = float(value)
        except ValueError:
            raise InvalidInputError(f"{name} must be a number.", field=name) from None
    else:
        number = float(value)
    if not math.isfinite(number):
        raise InvalidInputError(f"{name} must be a number.", field=name)
    return number


def validate_params(method: str, params: Mapping[str, str | float]) -> dict[str, float]:
    """Parse and range-check a method's parameters, e.g. from a teacher's form.

    Args:
        method: the calculation method's name.
        params: values as numbers or text; a blank text means "use the default".

    Returns:
        The given parameters as numbers (blank ones left out, defaults not filled in).

    Raises:
        InvalidInputError: the method is unknown, a parameter is not the method's, is not a
            number, or is out of range; the message gives the reason in one line.
    """
    calculation_method(method)
    allowed = {parameter.name: parameter for parameter in METHOD_PARAMETERS[method]}
    parsed: dict[str, float] = {}
    for name, value in params.items():
        parameter = allowed.get(name)
        if parameter is None:
            takes = ", ".join(allowed) if allowed else "no parameters"
            raise InvalidInputError(
                f"The {method} method has no parameter {name!r} (it takes {takes}).", field=name
            )
        number = _parse(name, value)
        if number is None:
            continue
        parameter.check(number)
        parsed[name] = number
    return parsed


def calculate(
    method: str,
    observations: Sequence[Observation],
    scale: MasteryScale,
    params: Mapping[str, float] | None = None,
) -> MasteryResult:
    """A student's result on one target under a calculation method.

    Args:
        method: a key of CALCULATION_METHODS.
        observations: the student's evidence on the target, in any order (sorted stably by
            `assessed_at`).
        scale: the target's mastery scale.
        params: the method's parameters; missing ones take their defaults.

    Raises:
        InvalidInputError: unknown method, bad parameters, or a score outside the scale.
    """
    compute = calculation_method(method)
    checked = validate_params(method, params or {})
    defaults = {parameter.name: parameter.default for parameter in METHOD_PARAMETERS[method]}
    return compute(observations, scale, {**defaults, **checked})
