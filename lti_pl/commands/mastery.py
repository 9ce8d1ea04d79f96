"""`lti-pl mastery explain`: run the mastery engine on scores typed at the shell (no database)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import click

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import Observation, calculate, validate_params
from lti_pl.domain.mastery import calculation_method as mastery_method
from lti_pl.domain.targets import DEFAULT_SCALE, MasteryScale

#: Colour for levels given on the command line (only the label matters in the output).
_NEUTRAL = "#767676"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group("mastery")
def command() -> None:
    """The mastery engine."""


def _parse_scale(text: str, mastery_points: float | None) -> MasteryScale:
    """'4=Exceeds,3=Mastery,2=Near,1=Below,0=Well below' into a scale."""
    rows: list[tuple[float, str, str]] = []
    for part in text.split(","):
        points, eq, label = part.partition("=")
        if not eq or not label.strip():
            raise InvalidInputError(f"scale level {part.strip()!r} must look like 3=Mastery")
        try:
            rows.append((float(points), label.strip(), _NEUTRAL))
        except ValueError:
            raise InvalidInputError(f"scale points {points.strip()!r} is not a number") from None
    if mastery_points is None:
        raise InvalidInputError("--scale needs --mastery-points")
    return MasteryScale.from_levels(rows, mastery_points)


@command.command("explain")
@click.option("--method", "method", required=True, help="A calculation method name.")
@click.option("--param", "params", multiple=True, metavar="K=V", help="A method parameter.")
@click.option(
    "--scale",
    "scale_text",
    default=None,
    help="Levels as POINTS=LABEL,... (default: Canvas's 4..0 scale).",
)
@click.option("--mastery-points", type=float, default=None, help="Threshold with --scale.")
@click.argument("scores", nargs=-1, required=True)
def explain(
    method: str,
    params: tuple[str, ...],
    scale_text: str | None,
    mastery_points: float | None,
    scores: tuple[str, ...],
) -> None:
    """Print the mastery result of SCORES (oldest first) as JSON."""
    try:
        mastery_method(method)
        raw: dict[str, str] = {}
        for item in params:
            key, eq, value = item.partition("=")
            if not eq or not key.strip():
                raise InvalidInputError(f"--param {item!r} must look like name=value")
            raw[key.strip()] = value.strip()
        checked = validate_params(method, raw)
        scale = DEFAULT_SCALE if scale_text is None else _parse_scale(scale_text, mastery_points)
        observations = []
        for index, text in enumerate(scores):
            try:
                value = float(text)
            except ValueError:
                raise InvalidInputError(f"score {text!r} is not a number") from None
            observations.append(Observation(value, _EPOCH + timedelta(days=index)))
        result = calculate(method, observations, scale, checked)
    except InvalidInputError as error:
        _fail(str(error))
        return
    click.echo(json.dumps(result.to_dict()))
