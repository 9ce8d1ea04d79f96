"""Form fields as a browser sends them: a whole number, a row picked from a list, a choice."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import parse_id

_E = TypeVar("_E", bound=Enum)


def whole_number(value: str, field: str, message: str) -> int:
    """`value` as an int, or the form's `message` on `field`."""
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInputError(message or "Choose from the list.", field=field) from None


def picked_id(value: str, field: str) -> int:
    """A row id picked from a list; an id no row can have is refused like any other text."""
    parsed = parse_id(value)
    if parsed is None:
        raise InvalidInputError("Choose from the list.", field=field)
    return parsed


def picked(kind: type[_E], value: str, field: str, noun: str) -> _E:
    """The member of `kind` whose value is `value` ("Choose {noun} from the list." otherwise)."""
    try:
        return kind(value)
    except ValueError:
        raise InvalidInputError(f"Choose {noun} from the list.", field=field) from None
