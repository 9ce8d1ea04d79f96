"""Marzano's power law as mastery trackers publish it, and the documented rule for zeros."""

import math
from datetime import datetime, timedelta

import pytest

from lti_pl.domain.mastery import Observation, calculate
from lti_pl.domain.targets import DEFAULT_SCALE, MasteryScale

START = datetime(2024, 9, 2, 8, 0)

ONE_TO_FOUR = MasteryScale.from_levels(
    [
        (4, "Exceeds", "#127a1b"),
        (3, "Meets", "#0b874b"),
        (2, "Near", "#fab901"),
        (1, "Beginning", "#fd5d10"),
    ],
    mastery_points=3,
)


def history(*scores: float) -> list[Observation]:
    return [Observation(score, START + timedelta(days=day)) for day, score in enumerate(scores)]


# Golden values: JumpRope, "The power of the Power Law" (support.jumpro.pe, article 203185740),
# a table of four students' scores and their published Power Law Score (two decimals). The fit
# is least squares of ln(score) on ln(attempt), predicted at the last attempt.
@pytest.mark.parametrize(
    ("scores", "published"),
    [
        ((1, 2, 3, 4), 4.00),
        ((1, 3, 2, 4), 3.66),
        ((2, 4, 1, 3), 2.16),
        ((4, 3, 2, 1), 1.28),
    ],
    ids=str,
)
@pytest.mark.parametrize("scale", [DEFAULT_SCALE, ONE_TO_FOUR], ids=["0-4", "1-4"])
def test_power_law_reproduces_the_published_values(scores, published, scale):
    result = calculate("power_law", history(*scores), scale)
    assert result.score is not None
    assert round(result.score, 2) == published


def test_power_law_of_a_perfect_trend_is_exact():
    # ln s = ln a + b ln k through (1, 1), (2, 2), (3, 3), (4, 4): a = 1, b = 1, 1 * 4**1 = 4
    assert calculate("power_law", history(1, 2, 3, 4), DEFAULT_SCALE).score == 4


def test_power_law_of_one_score_is_that_score():
    result = calculate("power_law", history(2), DEFAULT_SCALE)
    assert result.score == 2
    # two points fit exactly, so the next score is the prediction: lowest that masters is 3
    assert result.next_score_to_master == 3


def test_power_law_through_two_scores_predicts_the_second():
    assert calculate("power_law", history(1, 3), DEFAULT_SCALE).score == pytest.approx(3)


def test_power_law_is_clamped_to_the_top_of_the_scale():
    # ln 1, ln 3, ln 4 at ln 1, ln 2, ln 3 predicts 4.39 at attempt 3; the scale stops at 4
    assert calculate("power_law", history(1, 3, 4), DEFAULT_SCALE).score == 4


def test_a_zero_in_the_history_shifts_the_fit_by_the_lowest_point():
    # The rule for zeros: fit ln(score + 1) (lowest point 0 becomes 1), shift back.
    # y = ln 1, ln 2, ln 4 = 0, 0.69315, 1.38629 at x = 0, 0.69315, 1.09861
    # mean x = 0.59725, mean y = 0.69315, Sxy = 0.76150, Sxx = 0.61728, b = 1.23364
    # ln prediction = 0.69315 + 1.23364 * 0.50137 = 1.31166; e**1.31166 - 1 = 2.712
    result = calculate("power_law", history(0, 1, 3), DEFAULT_SCALE)
    assert result.score == pytest.approx(2.712, abs=1e-3)
    assert calculate("power_law", history(0, 0, 0), DEFAULT_SCALE).score == 0
    # 4 then 0: an exact fit through ln 5, ln 1 predicts e**0 - 1 = 0
    assert calculate("power_law", history(4, 0), DEFAULT_SCALE).score == pytest.approx(0)


def test_the_zero_rule_leaves_positive_histories_as_published():
    # The same positive scores give the published value whatever the scale's lowest point.
    with_zero_level = calculate("power_law", history(1, 3, 2, 4), DEFAULT_SCALE).score
    without = calculate("power_law", history(1, 3, 2, 4), ONE_TO_FOUR).score
    assert with_zero_level == without == pytest.approx(3.6567, abs=1e-4)


def test_power_law_of_a_declining_trend_is_below_the_average():
    result = calculate("power_law", history(4, 3, 2), DEFAULT_SCALE)
    assert result.score is not None
    assert result.score < 3
    assert not result.mastered
    assert math.isfinite(result.score)
