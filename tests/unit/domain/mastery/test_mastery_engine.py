"""The production engine gives what the plain reference in reference.py gives."""

import math
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import CALCULATION_METHODS, Observation, calculate, prepare
from lti_pl.domain.targets import DEFAULT_SCALE
from tests.unit.domain.mastery import reference
from tests.unit.domain.mastery.strategies import params_for, scales, scores_on

START = datetime(2024, 9, 2, 8, 0)


def history(scores: list[float], days: list[int] | None = None) -> list[Observation]:
    days = days if days is not None else list(range(len(scores)))
    return [Observation(s, START + timedelta(days=d)) for s, d in zip(scores, days, strict=True)]


def conclusion(result):
    return reference.Expected(
        result.score,
        result.level,
        result.mastered,
        result.next_score_to_master,
        result.probability,
    )


@settings(deadline=None, max_examples=150)
@given(scale=scales(), data=st.data())
@pytest.mark.parametrize("name", list(CALCULATION_METHODS))
def test_engine_equals_the_reference(name, scale, data):
    scores = data.draw(scores_on(scale))
    # Non-decreasing days with repeats: evidence on one day keeps its given order.
    steps = data.draw(st.lists(st.integers(0, 2), min_size=len(scores), max_size=len(scores)))
    days = [sum(steps[: i + 1]) for i in range(len(steps))]
    params = data.draw(params_for(name))
    observations = history(scores, days)
    expected = reference.expected(name, observations, scale, params)
    assert conclusion(calculate(name, observations, scale, params)) == expected
    assert conclusion(prepare(name, scale, params)(scores)) == expected


@pytest.mark.parametrize("name", list(CALCULATION_METHODS))
def test_one_prepared_method_serves_many_histories(name):
    compute = prepare(name, DEFAULT_SCALE)
    histories = [[], [3.0], [0.0, 4.0], [2.0, 2.0, 3.0], [4.0, 4.0, 1.0, 0.0], [1, 2, 3, 3]]
    for scores in histories:
        assert compute(scores) == calculate(name, history(scores), DEFAULT_SCALE)


@pytest.mark.parametrize("name", list(CALCULATION_METHODS))
@pytest.mark.parametrize(
    "scores", [[5.0], [2.0, -1.0], [1.0, math.nan], [math.inf], [True]], ids=str
)
def test_a_score_off_the_scale_is_refused_with_its_value(name, scores):
    with pytest.raises(InvalidInputError) as caught:
        prepare(name, DEFAULT_SCALE)(scores)
    assert caught.value.field == "score"
    assert "\n" not in str(caught.value)


def test_prepare_checks_the_method_and_params_once():
    with pytest.raises(InvalidInputError, match="Unknown calculation method"):
        prepare("median", DEFAULT_SCALE)
    with pytest.raises(InvalidInputError):
        prepare("weighted_average", DEFAULT_SCALE, {"weight": 0})
