"""A student's level on one target after each assessed piece of evidence, and its chart.

The level is what the mastery engine concludes from the evidence so far (a decaying average
of 2 then 3 is 2.65, Near Mastery), not the raw score of the latest piece: the chart shows the
same number as the text beside it. Each step replays the engine (`domain.mastery.calculate`)
over the evidence up to that point, with the method and parameters the student's current
record was computed with.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol

from lti_pl.domain.mastery import ScoresCalculator, prepare
from lti_pl.domain.mastery.result import BKT_METHOD, format_points
from lti_pl.domain.targets import MasteryScale


class Assessed(Protocol):
    """What a step needs of an assessment (an `Assessment` row, or its columns)."""

    @property
    def id(self) -> int | None: ...  # noqa: D102

    @property
    def score(self) -> float: ...  # noqa: D102

    @property
    def assessed_at(self) -> datetime: ...  # noqa: D102


class Recorded(Protocol):
    """What `record_method` needs of a mastery record (a `MasteryRecord`, or its columns)."""

    @property
    def method(self) -> str: ...  # noqa: D102

    @property
    def details(self) -> Any: ...  # noqa: D102


@dataclass(frozen=True)
class LevelStep:
    """The level after one more assessment.

    Attributes:
        when: when that assessment was made (UTC).
        score: the raw score of that assessment.
        value: the level's value on the scale after it (a BKT probability becomes its level's
            points, so every method plots on the same axis).
        label: the level's name after it.
        mastered: whether the target counts as mastered after it.
    """

    when: datetime
    score: float
    value: float
    label: str
    mastered: bool


def level_history(
    assessments: Sequence[Assessed],
    scale: MasteryScale,
    method: str,
    params: Mapping[str, float] | None = None,
    *,
    days: Sequence[date] | None = None,
) -> tuple[LevelStep, ...]:
    """The level after each assessment, oldest first (quadratic in the count; counts are small).

    With `days`, only the steps that stand at the end of one of those days (the last one on or
    before it): all a chart by day reads, and a term's history is replayed only where shown.
    The method is readied once per (method, scale, parameters) and process, not per step: a
    class chart replays every student's history on every target (300 × 40 × 4 steps).
    """
    ordered = sorted(assessments, key=lambda a: (a.assessed_at, a.id or 0))
    indices: Iterable[int] = range(len(ordered))
    if days is not None:
        dates = [a.assessed_at.date() for a in ordered]
        indices = sorted({i for day in days if (i := bisect_right(dates, day) - 1) >= 0})
    compute = _calculator(method, scale, tuple(sorted((params or {}).items())))
    scores = [a.score for a in ordered]
    steps = []
    for index in indices:
        assessment = ordered[index]
        result = compute(scores[: index + 1])
        if result.score is None or result.level is None:
            continue
        value = result.level.points if result.method == BKT_METHOD else result.score
        steps.append(
            LevelStep(
                assessment.assessed_at,
                assessment.score,
                scale.clamp(value),
                result.level.label,
                result.mastered,
            )
        )
    return tuple(steps)


@lru_cache(maxsize=64)
def _calculator(
    method: str, scale: MasteryScale, params: tuple[tuple[str, float], ...]
) -> ScoresCalculator:
    """`domain.mastery.prepare`, kept: its result is a pure function of these arguments."""
    return prepare(method, scale, dict(params))


def record_method(record: Recorded | None, default: str) -> tuple[str, dict[str, float]]:
    """The method and parameters a student's record was last computed with."""
    if record is None or not record.method:
        return default, {}
    details = record.details or {}
    params = details.get("params") if isinstance(details, dict) else None
    return record.method, {k: float(v) for k, v in (params or {}).items()}


@dataclass(frozen=True)
class ChartPoint:
    """One step on the chart: x, y in the SVG's coordinates, with its step."""

    x: float
    y: float
    step: LevelStep


@dataclass(frozen=True)
class Gridline:
    """One level of the scale: its y, its points and its name (drawn in the left gutter)."""

    y: float
    points: float
    label: str


@dataclass(frozen=True)
class DateLabel:
    """A date under the x axis; `with_time` when two labels would read the same day."""

    x: float
    when: datetime
    anchor: str
    with_time: bool

    @property
    def text(self) -> str:
        """The UTC text (the page's script rewrites it in the reader's time zone)."""
        return f"{self.when:%d %b %Y %H:%M} UTC" if self.with_time else f"{self.when:%d %b %Y}"


@dataclass(frozen=True)
class LevelChart:
    """A small line chart of one target's level over time (drawn as SVG by a template)."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    points: tuple[ChartPoint, ...]
    gridlines: tuple[Gridline, ...]
    mastery_y: float
    mastery_points: float
    dates: tuple[DateLabel, ...]
    summary: str

    @property
    def polyline(self) -> str:
        """The points attribute of the SVG polyline."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def now(self) -> LevelStep | None:
        """The current level (the last step)."""
        return self.points[-1].step if self.points else None


#: The drawing box: a gutter on the left for the level names, a band at the bottom for dates.
CHART_WIDTH, CHART_HEIGHT = 376, 164
GUTTER, RIGHT_PAD, TOP_PAD, BOTTOM_PAD = 144, 16, 12, 32


def level_chart(steps: Sequence[LevelStep], scale: MasteryScale, statement: str) -> LevelChart:
    """Chart coordinates of the steps (evenly spaced, oldest left) with a sentence for readers.

    Steps are spaced evenly rather than by date: two assessments on one day stay apart, and the
    date labels under the first and last say when.
    """
    span = (scale.max_points - scale.min_points) or 1.0
    left, right = float(GUTTER), float(CHART_WIDTH - RIGHT_PAD)
    inner_h = CHART_HEIGHT - TOP_PAD - BOTTOM_PAD

    def y_of(value: float) -> float:
        return TOP_PAD + inner_h * (1 - (scale.clamp(value) - scale.min_points) / span)

    count = len(steps)
    points = tuple(
        ChartPoint(
            (left + right) / 2 if count == 1 else left + (right - left) * i / (count - 1),
            y_of(step.value),
            step,
        )
        for i, step in enumerate(steps)
    )
    gridlines = tuple(Gridline(y_of(lv.points), lv.points, lv.label) for lv in scale.levels)
    dates: tuple[DateLabel, ...] = ()
    if count == 1:
        dates = (DateLabel(points[0].x, steps[0].when, "middle", False),)
    elif count > 1:
        same_day = steps[0].when.date() == steps[-1].when.date()
        dates = (
            DateLabel(left, steps[0].when, "start", same_day),
            DateLabel(right, steps[-1].when, "end", same_day),
        )
    if steps:
        last = steps[-1]
        summary = (
            f"Level over time on {statement}: "
            + ", ".join(f"{s.label} ({format_points(s.value)}) on {s.when:%d %b %Y}" for s in steps)
            + f". Now {last.label} ({format_points(last.value)}); "
            f"mastery is {format_points(scale.mastery_points)}."
        )
    else:
        summary = f"No assessed evidence yet on {statement}."
    return LevelChart(
        CHART_WIDTH,
        CHART_HEIGHT,
        left,
        right,
        points,
        gridlines,
        y_of(scale.mastery_points),
        scale.mastery_points,
        dates,
        summary,
    )
