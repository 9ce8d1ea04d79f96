"""A calculation method's parameter: its words for teachers, its range and how it is parsed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery.result import format_points


class Kind(Enum):
    """How a parameter's value reads in words."""

    #: A share of a whole, 0..1, read as a percentage ("65%").
    SHARE = "share"
    #: A probability, 0..1, read as a percentage ("95%").
    PROBABILITY = "probability"
    #: A count of scores or times ("3").
    COUNT = "count"
    #: One of a few numbered choices, read as the choice's words.
    CHOICE = "choice"


@dataclass(frozen=True)
class Parameter:
    """A numeric parameter of a calculation method, in words and with its allowed range.

    Attributes:
        name: the key in a target's or course's params (and the form field's suffix).
        label: what a teacher reads next to the field, e.g. "Weight of each new score".
        description: what the parameter is, one sentence.
        effect: what raising or lowering it does to the result, one sentence.
        kind: how the value reads in words (see Kind).
        default: the value used when the param is not given.
        minimum: the lower bound.
        maximum: the upper bound, or None for none.
        minimum_allowed: whether the value may equal `minimum`.
        maximum_allowed: whether the value may equal `maximum`.
        whole: whether the value must be a whole number.
        choices: for a CHOICE parameter, each allowed value with its words.
    """

    name: str
    label: str
    description: str
    effect: str
    kind: Kind
    default: float
    minimum: float
    maximum: float | None
    minimum_allowed: bool = True
    maximum_allowed: bool = True
    whole: bool = False
    choices: tuple[tuple[float, str], ...] = ()

    def __post_init__(self) -> None:
        # Defaults read as floats everywhere (params are stored and compared as floats).
        object.__setattr__(self, "default", float(self.default))

    def check(self, value: float) -> None:
        """Raise InvalidInputError with a one-line reason if the value is out of range."""
        if self.choices:
            if value not in {choice for choice, _ in self.choices}:
                raise InvalidInputError(f"{self.label} must be {self.allowed()}.", field=self.name)
            return
        too_low = value < self.minimum or (value == self.minimum and not self.minimum_allowed)
        too_high = self.maximum is not None and (
            value > self.maximum or (value == self.maximum and not self.maximum_allowed)
        )
        if too_low or too_high or (self.whole and not float(value).is_integer()):
            raise InvalidInputError(f"{self.label} must be {self.allowed()}.", field=self.name)

    def allowed(self) -> str:
        """The allowed values in words, e.g. "greater than 0 and at most 1"."""
        if self.choices:
            return " or ".join(f"{choice:g} ({words})" for choice, words in self.choices)
        kind = "a whole number " if self.whole else ""
        low = f"{'at least' if self.minimum_allowed else 'greater than'} {self.minimum:g}"
        if self.maximum is None:
            return f"{kind}{low}"
        high = f"{'at most' if self.maximum_allowed else 'less than'} {self.maximum:g}"
        return f"{kind}{low} and {high}"

    def words(self, value: float) -> str:
        """A value as people read it: "65%", "3", or a choice's words."""
        if self.kind is Kind.CHOICE:
            return dict(self.choices).get(value, f"{value:g}")
        if self.kind in (Kind.SHARE, Kind.PROBABILITY):
            return f"{format_points(value * 100)}%"
        return f"{value:g}"

    def parse(self, value: str | float) -> float | None:
        """A number from a form's text or a number; None for blank text (the default).

        Raises:
            InvalidInputError: not a finite number, or out of range.
        """
        if isinstance(value, bool):
            raise InvalidInputError(f"{self.label} must be a number.", field=self.name)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                number = float(value)
            except ValueError:
                raise InvalidInputError(
                    f"{self.label} must be a number.", field=self.name
                ) from None
        else:
            number = float(value)
        if not math.isfinite(number):
            raise InvalidInputError(f"{self.label} must be a number.", field=self.name)
        self.check(number)
        return number
