"""The registry, parameter checks, evidence checks and the result's dict form."""

from datetime import datetime, timedelta

import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import (
    CALCULATION_METHODS,
    METHOD_DESCRIPTIONS,
    METHOD_PARAMETERS,
    Observation,
    calculate,
    calculation_method,
    validate_params,
)
from lti_pl.domain.mastery.canvas import latest
from lti_pl.domain.targets import DEFAULT_SCALE

START = datetime(2024, 9, 2, 8, 0)
METHODS = [
    "decaying_average",
    "weighted_average",
    "n_mastery",
    "latest",
    "highest",
    "average",
    "mode",
    "power_law",
    "bkt",
]


def history(*scores: float) -> list[Observation]:
    return [Observation(score, START + timedelta(days=day)) for day, score in enumerate(scores)]


def test_registry_has_exactly_the_documented_methods():
    assert sorted(CALCULATION_METHODS) == sorted(METHODS)
    assert sorted(METHOD_DESCRIPTIONS) == sorted(METHODS)
    assert sorted(METHOD_PARAMETERS) == sorted(METHODS)
    assert all(description.strip() for description in METHOD_DESCRIPTIONS.values())


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        CALCULATION_METHODS["latest"] = latest  # type: ignore[index]


def test_calculation_method_looks_up_by_name():
    assert calculation_method("latest") is latest


def test_unknown_method_is_invalid_input():
    with pytest.raises(InvalidInputError, match="Unknown calculation method 'median'"):
        calculation_method("median")
    with pytest.raises(InvalidInputError):
        calculate("median", history(3), DEFAULT_SCALE)
    with pytest.raises(InvalidInputError):
        validate_params("median", {})


@pytest.mark.parametrize("method", METHODS)
def test_no_evidence_gives_no_score(method):
    result = calculate(method, [], DEFAULT_SCALE)
    assert result.method == method
    assert result.score is None
    assert result.level is None
    assert not result.mastered
    assert result.explanation == "No assessed evidence yet."


@pytest.mark.parametrize(
    "method",
    ["decaying_average", "weighted_average", "latest", "highest", "average", "mode", "power_law"],
)
def test_no_evidence_next_score_is_the_mastery_point(method):
    assert calculate(method, [], DEFAULT_SCALE).next_score_to_master == 3


def test_to_dict_of_a_scale_result():
    data = calculate("highest", history(2, 4), DEFAULT_SCALE).to_dict()
    assert data == {
        "method": "highest",
        "score": 4,
        "level": 4,
        "label": "Exceeds Mastery",
        "mastered": True,
        "next_score_to_master": None,
        "explanation": "Your best score counts: your highest score is 4, Exceeds Mastery; "
        "you have reached Mastery.",
    }


def test_to_dict_without_evidence():
    data = calculate("latest", [], DEFAULT_SCALE).to_dict()
    assert data["score"] is None
    assert data["level"] is None
    assert data["label"] is None
    assert "probability" not in data
    assert "probability" in calculate("bkt", [], DEFAULT_SCALE).to_dict()


@pytest.mark.parametrize("score", [-1, 4.5], ids=["below", "above"])
def test_a_score_off_the_scale_is_invalid_input(score):
    with pytest.raises(InvalidInputError, match="outside the scale"):
        calculate("average", history(2, score), DEFAULT_SCALE)


def test_a_score_must_be_a_finite_number():
    with pytest.raises(InvalidInputError):
        Observation(float("nan"), START)


def test_validate_params_parses_text_and_numbers():
    assert validate_params("decaying_average", {"weight": "0.5"}) == {"weight": 0.5}
    assert validate_params("n_mastery", {"n": "3"}) == {"n": 3.0}
    assert validate_params("bkt", {"p_init": 0.4, "threshold": 1}) == {
        "p_init": 0.4,
        "threshold": 1.0,
    }
    assert validate_params("latest", {}) == {}


def test_validate_params_leaves_blank_text_to_the_default():
    assert validate_params("weighted_average", {"weight": "  "}) == {}


@pytest.mark.parametrize(
    ("method", "params", "reason"),
    [
        ("decaying_average", {"weight": 0}, "weight must be greater than 0 and at most 1."),
        ("weighted_average", {"weight": "1.5"}, "weight must be greater than 0 and at most 1."),
        ("n_mastery", {"n": 0}, "n must be a whole number at least 1."),
        ("n_mastery", {"n": "2.5"}, "n must be a whole number at least 1."),
        ("bkt", {"p_slip": 0.5}, "p_slip must be greater than 0 and less than 0.5."),
        ("bkt", {"p_guess": 0}, "p_guess must be greater than 0 and less than 0.5."),
        ("bkt", {"p_init": 1.2}, "p_init must be at least 0 and at most 1."),
        ("bkt", {"threshold": 0}, "threshold must be greater than 0 and at most 1."),
        ("decaying_average", {"weight": "abc"}, "weight must be a number."),
        ("decaying_average", {"weight": "nan"}, "weight must be a number."),
        ("decaying_average", {"weight": True}, "weight must be a number."),
        ("latest", {"weight": 0.5}, "The latest method has no parameter 'weight'"),
        ("bkt", {"n": 2}, "The bkt method has no parameter 'n'"),
    ],
    ids=lambda value: str(value) if isinstance(value, str) else None,
)
def test_validate_params_refuses_with_a_one_line_reason(method, params, reason):
    with pytest.raises(InvalidInputError) as caught:
        validate_params(method, params)
    message = str(caught.value)
    assert message.startswith(reason)
    assert "\n" not in message
    assert caught.value.field == next(iter(params))


def test_calculate_checks_params():
    with pytest.raises(InvalidInputError, match="weight"):
        calculate("decaying_average", history(3), DEFAULT_SCALE, {"weight": 2})


def test_calculate_fills_in_defaults():
    default = calculate("weighted_average", history(0, 4), DEFAULT_SCALE)
    explicit = calculate("weighted_average", history(0, 4), DEFAULT_SCALE, {"weight": 0.65})
    # 0.65*4 + 0.35*0 = 2.6
    assert default.score == explicit.score == pytest.approx(2.6)
