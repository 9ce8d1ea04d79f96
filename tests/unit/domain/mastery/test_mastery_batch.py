"""The fast path (`prepare`) gives exactly what the reference (`calculate`) gives."""

import math
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import CALCULATION_METHODS, Observation, calculate, prepare
from lti_pl.domain.targets import DEFAULT_SCALE, MasteryScale

START = datetime(2024, 9, 2, 8, 0)


def history(scores: list[float], days: list[int] | None = None) -> list[Observation]:
    days = days if days is not None else list(range(len(scores)))
    return [Observation(s, START + timedelta(days=d)) for s, d in zip(scores, days, strict=True)]


@st.composite
def scales(draw: st.DrawFn) -> MasteryScale:
    # Whole and half points, so thresholds fall on levels and between them.
    points = draw(
        st.lists(st.integers(-6, 20).map(lambda p: p / 2), min_size=1, max_size=7, unique=True)
    )
    low, high = min(points), max(points)
    mastery = draw(
        st.one_of(
            st.sampled_from(points),
            st.floats(low, high, allow_nan=False).map(lambda value: round(value, 2)),
        )
    )
    mastery = min(max(mastery, low), high)
    return MasteryScale.from_levels([(p, f"Level {p}", "#000000") for p in points], mastery)


@st.composite
def cases(draw: st.DrawFn) -> tuple[MasteryScale, list[float], list[int]]:
    scale = draw(scales())
    score = st.one_of(
        st.sampled_from([level.points for level in scale.levels]),
        st.floats(scale.min_points, scale.max_points, allow_nan=False),
    )
    scores = draw(st.lists(score, max_size=14))
    # Non-decreasing days with repeats: evidence on one day keeps its given order.
    steps = draw(st.lists(st.integers(0, 2), min_size=len(scores), max_size=len(scores)))
    return scale, scores, [sum(steps[: i + 1]) for i in range(len(steps))]


@st.composite
def params_for(draw: st.DrawFn, method: str) -> dict[str, float]:
    if draw(st.booleans()):
        return {}
    open_unit = st.floats(0.01, 1.0)
    if method in ("decaying_average", "weighted_average"):
        return {"weight": draw(open_unit)}
    if method == "n_mastery":
        return {"n": draw(st.integers(1, 5))}
    if method == "bkt":
        return {
            "p_init": draw(st.floats(0.0, 1.0)),
            "p_transit": draw(st.floats(0.0, 1.0)),
            "p_slip": draw(st.floats(0.01, 0.49)),
            "p_guess": draw(st.floats(0.01, 0.49)),
            "threshold": draw(open_unit),
        }
    return {}


@settings(deadline=None, max_examples=300)
@given(case=cases(), data=st.data())
@pytest.mark.parametrize("method", list(CALCULATION_METHODS))
def test_fast_path_equals_reference(method, case, data):
    scale, scores, days = case
    params = data.draw(params_for(method))
    expected = calculate(method, history(scores, days), scale, params)
    actual = prepare(method, scale, params)(scores)
    assert actual == expected
    assert actual.explanation == expected.explanation


@pytest.mark.parametrize("method", list(CALCULATION_METHODS))
def test_one_prepared_method_serves_many_histories(method):
    compute = prepare(method, DEFAULT_SCALE)
    histories = [[], [3.0], [0.0, 4.0], [2.0, 2.0, 3.0], [4.0, 4.0, 1.0, 0.0], [1, 2, 3, 3]]
    for scores in histories:
        assert compute(scores) == calculate(method, history(scores), DEFAULT_SCALE)


@pytest.mark.parametrize("method", list(CALCULATION_METHODS))
@pytest.mark.parametrize(
    "scores", [[5.0], [2.0, -1.0], [1.0, math.nan], [math.inf], [True]], ids=str
)
def test_fast_path_refuses_what_the_reference_refuses(method, scores):
    with pytest.raises(InvalidInputError) as reference:
        calculate(method, history(scores), DEFAULT_SCALE)
    with pytest.raises(InvalidInputError) as fast:
        prepare(method, DEFAULT_SCALE)(scores)
    assert str(fast.value) == str(reference.value)
    assert fast.value.field == reference.value.field


def test_prepare_checks_the_method_and_params_once():
    with pytest.raises(InvalidInputError, match="Unknown calculation method"):
        prepare("median", DEFAULT_SCALE)
    with pytest.raises(InvalidInputError):
        prepare("weighted_average", DEFAULT_SCALE, {"weight": 0})
