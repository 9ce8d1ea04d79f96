"""Bayesian Knowledge Tracing, two and three steps worked out by hand."""

from datetime import datetime, timedelta

import pytest

from lti_pl.domain.mastery import Observation, calculate
from lti_pl.domain.targets import DEFAULT_SCALE
from tests.unit.domain.mastery.reference import knowledge_probability

START = datetime(2024, 9, 2, 8, 0)


def history(*scores: float) -> list[Observation]:
    return [Observation(score, START + timedelta(days=day)) for day, score in enumerate(scores)]


# Defaults: p_init 0.3, p_transit 0.1, p_slip 0.1, p_guess 0.2, threshold 0.95.
# Step 1 (correct): post = 0.3*0.9 / (0.3*0.9 + 0.7*0.2) = 0.27 / 0.41 = 0.658537
#                   P1 = 0.658537 + 0.341463*0.1 = 0.692683
# Step 2 (correct): post = 0.692683*0.9 / (0.623415 + 0.307317*0.2) = 0.623415 / 0.684878 = 0.910256
#                   P2 = 0.910256 + 0.089744*0.1 = 0.919231
P1 = 0.692683
P2 = 0.919231


def test_bkt_two_correct_scores_are_not_yet_mastered():
    result = calculate("bkt", history(3, 4), DEFAULT_SCALE)
    assert result.probability == pytest.approx(P2, abs=1e-6)
    assert result.score == result.probability
    assert not result.mastered
    # a third correct: post = 0.827308 / (0.827308 + 0.080769*0.2) = 0.980848
    # P3 = 0.980848 + 0.019152*0.1 = 0.982763 >= 0.95; an incorrect 2 falls to 0.628502
    assert result.next_score_to_master == 3
    # not mastered: the latest 4 is capped at the highest level below mastery
    assert result.level is not None
    assert result.level.label == "Near Mastery"
    assert result.explanation == (
        "What counts is how likely it is that you have learned this (95% means mastered): "
        "your evidence so far gives 91%, Near Mastery; a 3 next time would reach Mastery."
    )


def test_bkt_three_correct_scores_are_mastered_at_the_mastery_level():
    result = calculate("bkt", history(3, 4, 3), DEFAULT_SCALE)
    assert result.probability == pytest.approx(0.982763, abs=1e-6)
    assert result.mastered
    assert result.level is not None
    assert result.level.label == "Mastery"
    assert result.next_score_to_master is None


def test_bkt_an_incorrect_score_lowers_the_probability():
    # step 3 incorrect: post = 0.919231*0.1 / (0.091923 + 0.080769*0.8) = 0.091923 / 0.156538
    # = 0.587224; P3 = 0.587224 + 0.412776*0.1 = 0.628502
    result = calculate("bkt", history(3, 3, 2), DEFAULT_SCALE)
    assert result.probability == pytest.approx(0.628502, abs=1e-6)
    assert result.level is not None
    assert result.level.label == "Near Mastery"


def test_bkt_one_step_matches_bayes_then_transition():
    assert knowledge_probability([True], 0.3, 0.1, 0.1, 0.2) == pytest.approx(P1, abs=1e-6)
    assert knowledge_probability([], 0.3, 0.1, 0.1, 0.2) == 0.3


def test_bkt_without_evidence():
    result = calculate("bkt", [], DEFAULT_SCALE)
    assert result.score is None
    assert result.probability is None
    assert result.level is None
    assert not result.mastered
    # one correct gives only 0.692683 < 0.95
    assert result.next_score_to_master is None
    assert result.explanation == "No assessed evidence yet."


def test_bkt_without_evidence_and_high_prior_needs_one_correct_score():
    # post = 0.9*0.9 / (0.81 + 0.1*0.2) = 0.81 / 0.83 = 0.975904; P = 0.975904 + 0.024096*0.1
    result = calculate("bkt", [], DEFAULT_SCALE, {"p_init": 0.9})
    assert result.next_score_to_master == 3


def test_bkt_next_score_can_be_the_lowest_point_when_learning_is_fast():
    # p_transit 0.9, one 0: post = 0.3*0.1 / (0.03 + 0.7*0.8) = 0.03 / 0.59 = 0.050847
    #   P1 = 0.050847 + 0.949153*0.9 = 0.905085 < 0.95
    # another 0: post = 0.0905085 / (0.0905085 + 0.094915*0.8) = 0.543787
    #   P2 = 0.543787 + 0.456213*0.9 = 0.954379 >= 0.95
    result = calculate("bkt", history(0), DEFAULT_SCALE, {"p_transit": 0.9})
    assert result.probability == pytest.approx(0.905085, abs=1e-6)
    assert result.level is not None
    assert result.level.label == "Well Below Mastery"
    assert result.next_score_to_master == 0


def test_bkt_to_dict_has_the_probability():
    data = calculate("bkt", history(3, 4), DEFAULT_SCALE).to_dict()
    assert data["probability"] == pytest.approx(P2, abs=1e-6)
    assert data["level"] == 2
    assert data["label"] == "Near Mastery"
