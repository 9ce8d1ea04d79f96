"""Invariants of the mastery engine over generated scales and score histories."""

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_pl.domain.mastery import CALCULATION_METHODS, Observation, calculate
from lti_pl.domain.targets import MasteryScale
from tests.unit.domain.mastery import strategies

START = datetime(2024, 9, 2, 8, 0)
SCALE_VALUED = [method for method in CALCULATION_METHODS if method != "bkt"]
NEVER_LOWERED_BY_A_TOP_SCORE = ["decaying_average", "highest", "power_law", "recent_highest"]


def history(scores: list[float]) -> list[Observation]:
    return [Observation(score, START + timedelta(days=day)) for day, score in enumerate(scores)]


@st.composite
def scale_and_scores(draw: st.DrawFn, min_size: int = 0) -> tuple[MasteryScale, list[float]]:
    scale = draw(strategies.scales())
    return scale, draw(strategies.scores_on(scale, min_size=min_size))


def params_for(name: str) -> st.SearchStrategy[dict[str, float]]:
    return strategies.params_for(name, maybe_empty=False)


@settings(deadline=None)
@given(case=scale_and_scores(min_size=1), data=st.data())
@pytest.mark.parametrize("method", SCALE_VALUED)
def test_scale_valued_result_lies_on_the_scale(method, case, data):
    scale, scores = case
    result = calculate(method, history(scores), scale, data.draw(params_for(method)))
    assert result.score is not None
    assert scale.min_points <= result.score <= scale.max_points
    assert result.level == scale.level_for(result.score)
    if method != "n_mastery":
        assert result.mastered == scale.is_mastered(result.score)


@settings(deadline=None)
@given(case=scale_and_scores(), data=st.data())
def test_bkt_probability_is_a_probability(case, data):
    scale, scores = case
    result = calculate("bkt", history(scores), scale, data.draw(params_for("bkt")))
    if scores:
        assert result.probability is not None
        assert 0 <= result.probability <= 1
        assert result.score == result.probability
    else:
        assert result.probability is None


@given(case=scale_and_scores(min_size=1))
def test_latest_equals_the_last_score(case):
    scale, scores = case
    assert calculate("latest", history(scores), scale).score == scores[-1]


@settings(deadline=None)
@given(case=scale_and_scores(min_size=1), data=st.data())
@pytest.mark.parametrize("method", NEVER_LOWERED_BY_A_TOP_SCORE)
def test_a_top_score_never_lowers_the_result(method, case, data):
    scale, scores = case
    params = data.draw(params_for(method))
    before = calculate(method, history(scores), scale, params).score
    after = calculate(method, history([*scores, scale.max_points]), scale, params).score
    assert before is not None
    assert after is not None
    assert after >= before - 1e-9


@settings(deadline=None)
@given(case=scale_and_scores(), data=st.data())
@pytest.mark.parametrize("method", list(CALCULATION_METHODS))
def test_next_score_to_master_is_the_lowest_that_masters(method, case, data):
    scale, scores = case
    params = data.draw(params_for(method))
    result = calculate(method, history(scores), scale, params)
    points = sorted(level.points for level in scale.levels)

    def masters_with(next_score: float) -> bool:
        return calculate(method, history([*scores, next_score]), scale, params).mastered

    if result.mastered:
        assert result.next_score_to_master is None
    elif result.next_score_to_master is None:
        assert not any(masters_with(point) for point in points)
    else:
        assert result.next_score_to_master in points
        assert masters_with(result.next_score_to_master)
        lower = [point for point in points if point < result.next_score_to_master]
        if lower:
            assert not masters_with(lower[-1])


@settings(deadline=None)
@given(case=scale_and_scores(), seed=st.integers(0, 2**32 - 1))
@pytest.mark.parametrize("method", list(CALCULATION_METHODS))
def test_evidence_order_in_the_input_does_not_matter(method, case, seed):
    scale, scores = case
    observations = history(scores)
    shuffled = list(observations)
    random.Random(seed).shuffle(shuffled)
    assert calculate(method, shuffled, scale) == calculate(method, observations, scale)
