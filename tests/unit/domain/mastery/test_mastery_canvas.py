"""Canvas's calculation methods, mode and the windowed methods: values by hand and from Canvas."""

from datetime import datetime, timedelta

import pytest

from lti_pl.domain.mastery import Observation, calculate
from lti_pl.domain.targets import DEFAULT_SCALE, MasteryScale

START = datetime(2024, 9, 2, 8, 0)


def history(*scores: float) -> list[Observation]:
    return [Observation(score, START + timedelta(days=day)) for day, score in enumerate(scores)]


# DEFAULT_SCALE: 4 Exceeds Mastery, 3 Mastery (threshold), 2 Near Mastery, 1 Below, 0 Well Below.


def test_decaying_average_weights_the_newest_score_most():
    result = calculate("decaying_average", history(2, 3), DEFAULT_SCALE)
    # D1 = 2; D2 = 0.35*2 + 0.65*3 = 0.7 + 1.95 = 2.65
    assert result.score == pytest.approx(2.65)
    assert result.level is not None
    assert result.level.label == "Near Mastery"
    assert not result.mastered
    # D3 with a 3: 0.35*2.65 + 0.65*3 = 0.9275 + 1.95 = 2.8775 < 3; with a 4: 0.9275 + 2.6 = 3.5275
    assert result.next_score_to_master == 4
    assert result.explanation == (
        "Your recent work counts most: you are at 2.65, Near Mastery; "
        "a 4 next time would reach Mastery."
    )


def test_decaying_average_recurses_over_every_score():
    result = calculate("decaying_average", history(4, 2, 3), DEFAULT_SCALE, {"weight": 0.5})
    # D2 = 0.5*4 + 0.5*2 = 3; D3 = 0.5*3 + 0.5*3 = 3
    assert result.score == pytest.approx(3)
    assert result.mastered
    assert result.next_score_to_master is None
    assert result.explanation.endswith("you have reached Mastery.")


def test_decaying_average_differs_from_weighted_average_after_three_scores():
    scores = history(0, 4, 2)
    decaying = calculate("decaying_average", scores, DEFAULT_SCALE)
    weighted = calculate("weighted_average", scores, DEFAULT_SCALE)
    # D2 = 0.35*0 + 0.65*4 = 2.6; D3 = 0.35*2.6 + 0.65*2 = 0.91 + 1.3 = 2.21
    assert decaying.score == pytest.approx(2.21)
    # 0.65*2 + 0.35*mean(0, 4) = 1.3 + 0.7 = 2.0
    assert weighted.score == pytest.approx(2.0)


def test_decaying_average_of_one_score_is_that_score():
    result = calculate("decaying_average", history(1), DEFAULT_SCALE)
    assert result.score == 1
    assert result.level is not None
    assert result.level.label == "Below Mastery"
    # next 3: 0.35*1 + 0.65*3 = 2.3; next 4: 0.35 + 2.6 = 2.95 < 3, so no single score masters it
    assert result.next_score_to_master is None
    assert result.explanation.endswith("it will take more than one more score to reach Mastery.")


def test_decaying_average_of_equal_mastery_scores_is_mastered_exactly():
    # float noise must not leave 3, 3, 3 a hair below the threshold
    result = calculate("decaying_average", history(3, 3, 3), DEFAULT_SCALE, {"weight": 0.35})
    assert result.score == 3
    assert result.mastered


def test_decaying_average_with_weight_one_is_the_latest_score():
    result = calculate("decaying_average", history(4, 0, 2), DEFAULT_SCALE, {"weight": 1})
    assert result.score == 2


def test_weighted_average_is_latest_against_mean_of_earlier():
    result = calculate("weighted_average", history(1, 2, 4), DEFAULT_SCALE)
    # 0.65*4 + 0.35*mean(1, 2) = 2.6 + 0.525 = 3.125
    assert result.score == pytest.approx(3.125)
    assert result.mastered
    assert result.explanation.startswith(
        "Your latest score counts 65% and your earlier scores together 35%: you are at 3.12"
    )


def test_weighted_average_of_one_score_is_that_score():
    result = calculate("weighted_average", history(2), DEFAULT_SCALE)
    assert result.score == 2
    # next 3: 0.65*3 + 0.35*2 = 2.65; next 4: 2.6 + 0.7 = 3.3
    assert result.next_score_to_master == 4


def test_weighted_average_uses_the_weight_param():
    result = calculate("weighted_average", history(4, 4, 0), DEFAULT_SCALE, {"weight": 0.5})
    # 0.5*0 + 0.5*mean(4, 4) = 2
    assert result.score == pytest.approx(2)
    assert not result.mastered


def test_n_mastery_averages_the_scores_at_mastery_once_reached_n_times():
    result = calculate("n_mastery", history(3, 1, 4), DEFAULT_SCALE)
    # n = 2: scores at mastery 3 and 4 -> (3 + 4) / 2 = 3.5; the 1 does not count
    assert result.score == pytest.approx(3.5)
    assert result.mastered
    assert result.level is not None
    assert result.level.label == "Mastery"
    assert result.next_score_to_master is None


def test_n_mastery_below_n_caps_the_average_below_mastery():
    result = calculate("n_mastery", history(4, 1), DEFAULT_SCALE)
    # one score at mastery of two: mean(4, 1) = 2.5, capped at 2 (highest level below mastery)
    assert result.score == 2
    assert not result.mastered
    assert result.level is not None
    assert result.level.label == "Near Mastery"
    assert result.next_score_to_master == 3
    assert result.explanation == (
        "You need to reach Mastery 2 times: you have reached it once so far, and you are at 2, "
        "Near Mastery; a 3 next time would reach Mastery."
    )


def test_n_mastery_below_cap_keeps_the_plain_average():
    result = calculate("n_mastery", history(0, 1), DEFAULT_SCALE)
    # mean(0, 1) = 0.5 < cap 2; no score at mastery, so one more cannot make two
    assert result.score == pytest.approx(0.5)
    assert result.next_score_to_master is None


def test_n_mastery_with_n_three():
    result = calculate("n_mastery", history(3, 4, 1, 3), DEFAULT_SCALE, {"n": 3})
    # 3, 4, 3 at mastery -> 10 / 3
    assert result.score == pytest.approx(10 / 3)
    assert result.mastered


def test_n_mastery_with_n_one_is_mastered_by_one_score():
    result = calculate("n_mastery", history(2, 3), DEFAULT_SCALE, {"n": 1})
    assert result.score == 3
    assert result.mastered


@pytest.mark.parametrize(("n", "expected"), [(1, 3), (2, None)], ids=["n=1", "n=2"])
def test_n_mastery_without_evidence_needs_n_scores(n, expected):
    result = calculate("n_mastery", [], DEFAULT_SCALE, {"n": n})
    assert result.score is None
    assert result.next_score_to_master == expected


def test_latest_is_the_newest_score():
    result = calculate("latest", history(2, 4, 1), DEFAULT_SCALE)
    assert result.score == 1
    # any single next score is the result: the lowest that masters is 3
    assert result.next_score_to_master == 3


def test_latest_orders_evidence_by_assessed_at():
    newest = Observation(4, START + timedelta(days=5))
    older = Observation(1, START)
    assert calculate("latest", [newest, older], DEFAULT_SCALE).score == 4


def test_latest_keeps_input_order_for_equal_times():
    same_time = [Observation(1, START), Observation(2, START)]
    assert calculate("latest", same_time, DEFAULT_SCALE).score == 2


def test_highest_is_the_best_score():
    result = calculate("highest", history(2, 4, 1), DEFAULT_SCALE)
    assert result.score == 4
    assert result.level is not None
    assert result.level.label == "Exceeds Mastery"
    assert result.mastered


def test_highest_of_one_zero():
    result = calculate("highest", history(0), DEFAULT_SCALE)
    assert result.score == 0
    assert result.level is not None
    assert result.level.label == "Well Below Mastery"
    assert result.next_score_to_master == 3


def test_average_counts_every_score_equally():
    result = calculate("average", history(1, 2, 4), DEFAULT_SCALE)
    # (1 + 2 + 4) / 3 = 7/3; one more s: (7 + s) / 4 >= 3 needs s >= 5, off the scale
    assert result.score == pytest.approx(7 / 3)
    assert result.next_score_to_master is None


def test_average_next_score():
    result = calculate("average", history(2, 3), DEFAULT_SCALE)
    # 2.5; (5 + s) / 3 >= 3 needs s >= 4
    assert result.score == pytest.approx(2.5)
    assert result.next_score_to_master == 4


def test_average_of_mastery_is_mastered():
    result = calculate("average", history(4, 2), DEFAULT_SCALE)
    assert result.score == 3
    assert result.mastered


def test_mode_is_the_most_frequent_score():
    result = calculate("mode", history(1, 2, 2, 3), DEFAULT_SCALE)
    assert result.score == 2
    # with a 3: 2 and 3 tie at two each, the 3 is newer -> 3
    assert result.next_score_to_master == 3


def test_mode_tie_goes_to_the_most_recent_tied_score():
    # 3 and 1 both twice; the last 1 (day 3) is newer than the last 3 (day 2)
    assert calculate("mode", history(3, 1, 3, 1), DEFAULT_SCALE).score == 1
    assert calculate("mode", history(1, 3, 1, 3), DEFAULT_SCALE).score == 3


def test_mode_needs_more_than_one_score_to_overturn_a_majority():
    result = calculate("mode", history(2, 2), DEFAULT_SCALE)
    # one 3 or 4 makes counts 2:2, x:1 -> still 2
    assert result.score == 2
    assert result.next_score_to_master is None


def test_mode_of_one_score_is_that_score():
    assert calculate("mode", history(4), DEFAULT_SCALE).score == 4


def test_mode_ties_can_go_to_the_higher_score_as_in_masteryconnect():
    # MasteryConnect's mode: among equally frequent scores the higher level wins.
    # 3 and 1 both twice, the 1 newer: the higher 3 counts
    assert calculate("mode", history(3, 1, 3, 1), DEFAULT_SCALE, {"ties": 1}).score == 3
    assert calculate("mode", history(1, 3, 1, 3), DEFAULT_SCALE, {"ties": 1}).score == 3
    # a single most frequent score still wins over a higher one
    assert calculate("mode", history(4, 2, 2), DEFAULT_SCALE, {"ties": 1}).score == 2


def test_mode_ties_to_higher_changes_the_next_score_to_master():
    # 2, 2, 3: with one more 3, 2 and 3 tie at two each -> 3 with ties to the higher score
    result = calculate("mode", history(2, 2, 3), DEFAULT_SCALE, {"ties": 1})
    assert result.score == 2
    assert result.next_score_to_master == 3


# The windowed methods: only the most recent `window` scores count.


def test_recent_average_counts_only_the_last_scores():
    result = calculate("recent_average", history(0, 0, 3, 4, 2), DEFAULT_SCALE)
    # window 3 (default): (3 + 4 + 2) / 3 = 3; the two zeros no longer count
    assert result.score == 3
    assert result.mastered
    assert result.explanation.startswith("Your last 3 scores count equally: you are at 3,")


def test_recent_average_next_score_drops_the_oldest_of_the_window():
    result = calculate("recent_average", history(4, 1, 2), DEFAULT_SCALE, {"window": 2})
    # last two: (1 + 2) / 2 = 1.5; next s replaces the 1: (2 + s) / 2 >= 3 needs s = 4
    assert result.score == 1.5
    assert result.next_score_to_master == 4


def test_recent_average_with_fewer_scores_than_the_window_is_the_average():
    assert calculate("recent_average", history(2, 3), DEFAULT_SCALE, {"window": 5}).score == 2.5


def test_recent_highest_forgets_an_old_best_score():
    result = calculate("recent_highest", history(4, 1, 2, 2), DEFAULT_SCALE)
    # the 4 is the fourth most recent: the best of 1, 2, 2 is 2
    assert result.score == 2
    assert not result.mastered
    assert result.next_score_to_master == 3


def test_recent_mode_of_the_last_scores_with_ties():
    scores = history(3, 3, 3, 1, 2)
    # last three 3, 1, 2: all once; the most recent is 2, the higher is 3
    assert calculate("recent_mode", scores, DEFAULT_SCALE).score == 2
    assert calculate("recent_mode", scores, DEFAULT_SCALE, {"ties": 1}).score == 3
    assert calculate("recent_mode", scores, DEFAULT_SCALE, {"window": 5}).score == 3


# Golden values from Canvas's own tests: instructure/canvas-lms,
# spec/services/outcomes/student_outcome_rollup_calculation_service_spec.rb, "calculation
# scenarios": a 0..5 outcome with mastery at 3 and the scores [1, 2, 3, 4, 5], oldest first.
CANVAS_SCALE = MasteryScale.from_levels(
    [(5, "Exceeds", "#127a1b"), (3, "Meets", "#0b874b"), (0, "Does Not Meet", "#e0061f")],
    mastery_points=3,
)
CANVAS_SCORES = (1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    ("name", "params", "canvas_method", "published"),
    [
        # "uses highest score when calculation method is 'highest'": 5
        ("highest", {}, "highest", 5),
        # "calculates average across multiple assignments": 15 / 5 = 3.0
        ("average", {}, "average", 3.0),
        # legacy "decaying_average" 65: (5 * 0.65) + ((1+2+3+4)/4 * 0.35) = 4.125, shown 4.13
        ("weighted_average", {"weight": 0.65}, "decaying_average", 4.13),
        # "standard_decaying_average" 65: 1.65, 2.5275, 3.485, 4.47
        ("decaying_average", {"weight": 0.65}, "standard_decaying_average", 4.47),
        # "n_mastery" 3: the scores at mastery are 3, 4, 5 -> 4
        ("n_mastery", {"n": 3}, "n_mastery", 4),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_canvas_golden_values(name, params, canvas_method, published):
    result = calculate(name, history(*CANVAS_SCORES), CANVAS_SCALE, params)
    assert result.score is not None
    assert round(result.score + 1e-9, 2) == published


def test_canvas_golden_latest():
    # "uses latest score": [1, 2, 4, 5, 3] oldest first -> 3
    assert calculate("latest", history(1, 2, 4, 5, 3), CANVAS_SCALE).score == 3


def test_canvas_golden_n_mastery_not_reached():
    # "returns no rollup when insufficient mastery attempts exist": n = 4, only 3 at mastery.
    # Canvas shows no score; we show the capped average and say mastery is not reached.
    result = calculate("n_mastery", history(*CANVAS_SCORES), CANVAS_SCALE, {"n": 4})
    assert not result.mastered
    assert result.score is not None
    assert result.score < CANVAS_SCALE.mastery_points
