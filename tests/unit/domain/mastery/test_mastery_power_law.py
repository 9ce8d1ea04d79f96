"""Marzano's power law, values worked out by hand (scores shifted by +1 on a 0..4 scale)."""

import math
from datetime import datetime, timedelta

import pytest

from lti_pl.domain.mastery import Observation, calculate
from lti_pl.domain.mastery.power_law import power_law_estimate
from lti_pl.domain.targets import DEFAULT_SCALE, MasteryScale

START = datetime(2024, 9, 2, 8, 0)


def history(*scores: float) -> list[Observation]:
    return [Observation(score, START + timedelta(days=day)) for day, score in enumerate(scores)]


def test_power_law_of_one_score_is_that_score():
    result = calculate("power_law", history(2), DEFAULT_SCALE)
    assert result.score == 2
    # two points fit exactly, so the next score is the prediction: lowest that masters is 3
    assert result.next_score_to_master == 3


def test_power_law_through_two_scores_predicts_the_second():
    # y = ln(1+1), ln(3+1) at x = ln 1, ln 2: b = (ln 4 - ln 2) / ln 2 = 1, a = 2
    # a * 2**b - 1 = 4 - 1 = 3
    result = calculate("power_law", history(1, 3), DEFAULT_SCALE)
    assert result.score == pytest.approx(3)
    assert result.mastered


def test_power_law_follows_the_trend_of_three_scores():
    # shifted y = ln 1, ln 2, ln 4 = 0, 0.69315, 1.38629 at x = 0, 0.69315, 1.09861
    # mean x = 0.59725, mean y = 0.69315
    # Sxy = (-0.59725)(-0.69315) + (0.09590)(0) + (0.50137)(0.69315) = 0.41398 + 0.34752 = 0.76150
    # Sxx = 0.35671 + 0.00920 + 0.25137 = 0.61728; b = 1.23364
    # ln prediction = 0.69315 + 1.23364 * 0.50137 = 1.31166; e**1.31166 - 1 = 2.712 (to rounding)
    result = calculate("power_law", history(0, 1, 3), DEFAULT_SCALE)
    assert result.score == pytest.approx(2.712, abs=1e-3)
    assert result.level is not None
    assert result.level.label == "Near Mastery"
    # the trend beats the average of 0, 1, 3 (1.33) and the decaying average
    assert result.score > 4 / 3


def test_power_law_is_clamped_to_the_top_of_the_scale():
    # shifted y = 0, ln 3, ln 5 -> b = 1.47789, e**(0.90268 + 1.47789 * 0.50137) - 1 = 4.1740 > 4
    assert power_law_estimate([0, 2, 4], 0) == pytest.approx(4.1740, abs=1e-4)
    assert calculate("power_law", history(0, 2, 4), DEFAULT_SCALE).score == 4


def test_power_law_handles_zeros_by_shifting():
    # all zeros: shifted y = ln 1 = 0 everywhere -> prediction e**0 - 1 = 0, no log of zero
    assert calculate("power_law", history(0, 0, 0), DEFAULT_SCALE).score == 0
    # 4 then 0: exact fit through y = ln 5, ln 1 -> prediction at attempt 2 is e**0 - 1 = 0
    assert calculate("power_law", history(4, 0), DEFAULT_SCALE).score == pytest.approx(0)


def test_power_law_shift_uses_the_lowest_point_of_the_scale():
    one_to_four = MasteryScale.from_levels(
        [
            (4, "Exceeds", "#127a1b"),
            (3, "Meets", "#0b874b"),
            (2, "Near", "#fab901"),
            (1, "Beginning", "#fd5d10"),
        ],
        mastery_points=3,
    )
    # on a 1..4 scale the lowest point 1 maps to y = 1 (ln 1 = 0): same fit as 0, 1, 3 on 0..4
    result = calculate("power_law", history(1, 2, 4), one_to_four)
    assert result.score == pytest.approx(2.712 + 1, abs=1e-3)


def test_power_law_of_a_declining_trend_is_below_the_average():
    result = calculate("power_law", history(4, 3, 2), DEFAULT_SCALE)
    # shifted y = ln 5, ln 4, ln 3 falls with attempt, so the prediction is under the mean 3
    assert result.score is not None
    assert result.score < 3
    assert not result.mastered
    assert math.isfinite(result.score)
