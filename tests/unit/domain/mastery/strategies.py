"""Hypothesis strategies shared by the mastery property tests: scales, histories, params."""

from __future__ import annotations

from hypothesis import strategies as st

from lti_pl.domain.mastery import CALCULATION_METHODS, Kind
from lti_pl.domain.targets import MasteryScale


@st.composite
def scales(draw: st.DrawFn, low: int = -6, high: int = 20) -> MasteryScale:
    # Whole and half points, so thresholds fall on levels and between them.
    points = draw(
        st.lists(st.integers(low, high).map(lambda p: p / 2), min_size=1, max_size=7, unique=True)
    )
    lowest, highest = min(points), max(points)
    mastery = draw(
        st.one_of(
            st.sampled_from(points),
            st.floats(lowest, highest, allow_nan=False).map(lambda value: round(value, 2)),
        )
    )
    mastery = min(max(mastery, lowest), highest)
    return MasteryScale.from_levels([(p, f"Level {p}", "#000000") for p in points], mastery)


@st.composite
def scores_on(draw: st.DrawFn, scale: MasteryScale, min_size: int = 0) -> list[float]:
    score = st.one_of(
        st.sampled_from([level.points for level in scale.levels]),
        st.floats(scale.min_points, scale.max_points, allow_nan=False),
    )
    return draw(st.lists(score, min_size=min_size, max_size=14))


@st.composite
def params_for(draw: st.DrawFn, name: str, maybe_empty: bool = True) -> dict[str, float]:
    """Valid params for a method, drawn from each parameter's declared range."""
    if maybe_empty and draw(st.booleans()):
        return {}
    params: dict[str, float] = {}
    for parameter in CALCULATION_METHODS[name].parameters:
        if parameter.kind is Kind.CHOICE:
            value = draw(st.sampled_from([choice for choice, _ in parameter.choices]))
        elif parameter.whole:
            value = float(draw(st.integers(int(parameter.minimum), 5)))
        else:
            low = parameter.minimum if parameter.minimum_allowed else parameter.minimum + 0.01
            top = parameter.maximum if parameter.maximum is not None else 10.0
            high = top if parameter.maximum_allowed else top - 0.01
            value = draw(st.floats(low, high))
        params[parameter.name] = value
    return params
