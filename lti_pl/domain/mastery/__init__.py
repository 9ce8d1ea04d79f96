"""The mastery engine: a student's evidence history on one target to a result."""

from lti_pl.domain.mastery.batch import ScoresCalculator, prepare
from lti_pl.domain.mastery.methods import (
    CALCULATION_METHODS,
    METHOD_DESCRIPTIONS,
    METHOD_PARAMETERS,
    Parameter,
    calculate,
    calculation_method,
    validate_params,
)
from lti_pl.domain.mastery.result import CalculationMethod, MasteryResult, Observation

__all__ = [
    "CALCULATION_METHODS",
    "METHOD_DESCRIPTIONS",
    "METHOD_PARAMETERS",
    "CalculationMethod",
    "MasteryResult",
    "Observation",
    "Parameter",
    "ScoresCalculator",
    "calculate",
    "calculation_method",
    "prepare",
    "validate_params",
]
