"""The method registry: one record per method, its words, parameter checks, lookups."""

from datetime import datetime, timedelta

import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import (
    CALCULATION_METHODS,
    Kind,
    Observation,
    calculate,
    calculation_method,
    teacher_explanation,
    validate_params,
)
from lti_pl.domain.targets import DEFAULT_SCALE

START = datetime(2024, 9, 2, 8, 0)
NAMES = [
    "decaying_average",
    "weighted_average",
    "n_mastery",
    "latest",
    "highest",
    "average",
    "mode",
    "recent_average",
    "recent_highest",
    "recent_mode",
    "power_law",
    "bkt",
]


def history(*scores: float) -> list[Observation]:
    return [Observation(score, START + timedelta(days=day)) for day, score in enumerate(scores)]


def test_registry_has_exactly_the_documented_methods():
    assert list(CALCULATION_METHODS) == NAMES
    assert all(CALCULATION_METHODS[name].name == name for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_method_and_parameter_is_described_in_words(name):
    record = CALCULATION_METHODS[name]
    assert record.label.strip()
    assert "_" not in record.label
    assert record.description.strip()
    words = record.words(record.defaults(), DEFAULT_SCALE)
    # The templates fill in from the parameters alone, and no raw name is left in them.
    for sentence in (
        record.student_sentence({}, DEFAULT_SCALE),
        record.teacher_sentence({}, DEFAULT_SCALE),
    ):
        assert sentence.strip()
        assert "{" not in sentence
        assert "_" not in sentence
    for parameter in record.parameters:
        assert parameter.label.strip()
        assert "_" not in parameter.label
        assert parameter.description.strip()
        assert parameter.effect.strip()
        assert parameter.name in words
        parameter.check(parameter.default)


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        CALCULATION_METHODS["latest"] = CALCULATION_METHODS["highest"]  # type: ignore[index]


def test_method_looks_up_by_name():
    assert calculation_method("latest") is CALCULATION_METHODS["latest"]


def test_unknown_method_is_invalid_input():
    with pytest.raises(InvalidInputError, match="Unknown calculation method 'median'") as caught:
        calculation_method("median")
    assert caught.value.field == "calculation_method"
    with pytest.raises(InvalidInputError):
        calculate("median", history(3), DEFAULT_SCALE)
    with pytest.raises(InvalidInputError):
        validate_params("median", {})


def test_student_sentences_say_what_counts_in_plain_words():
    assert CALCULATION_METHODS["decaying_average"].student_sentence({}, DEFAULT_SCALE) == (
        "Your recent work counts most"
    )
    assert CALCULATION_METHODS["weighted_average"].student_sentence(
        {"weight": 0.7}, DEFAULT_SCALE
    ) == ("Your latest score counts 70% and your earlier scores together 30%")
    assert CALCULATION_METHODS["recent_average"].student_sentence({"window": 4}, DEFAULT_SCALE) == (
        "Your last 4 scores count equally"
    )
    assert CALCULATION_METHODS["n_mastery"].student_sentence({}, DEFAULT_SCALE) == (
        "You need to reach Mastery 2 times"
    )


@pytest.mark.parametrize("name", NAMES)
def test_no_evidence_gives_no_score(name):
    result = calculate(name, [], DEFAULT_SCALE)
    assert result.method == name
    assert result.score is None
    assert result.level is None
    assert not result.mastered
    assert result.explanation == "No assessed evidence yet."


@pytest.mark.parametrize(
    "name",
    [n for n in NAMES if n not in ("n_mastery", "bkt")],
)
def test_no_evidence_next_score_is_the_mastery_point(name):
    assert calculate(name, [], DEFAULT_SCALE).next_score_to_master == 3


def test_to_dict_of_a_scale_result():
    data = calculate("highest", history(2, 4), DEFAULT_SCALE).to_dict()
    assert data == {
        "method": "highest",
        "score": 4,
        "level": 4,
        "label": "Exceeds Mastery",
        "mastered": True,
        "next_score_to_master": None,
        "explanation": "Your best score counts: you are at 4, Exceeds Mastery; "
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
    assert validate_params("mode", {"ties": "1"}) == {"ties": 1.0}
    assert validate_params("recent_mode", {"window": "4", "ties": 0}) == {"window": 4, "ties": 0}
    assert validate_params("latest", {}) == {}


def test_validate_params_leaves_blank_text_to_the_default():
    assert validate_params("weighted_average", {"weight": "  "}) == {}


@pytest.mark.parametrize(
    ("name", "params", "reason"),
    [
        (
            "decaying_average",
            {"weight": 0},
            "Weight of each new score must be greater than 0 and at most 1.",
        ),
        (
            "weighted_average",
            {"weight": "1.5"},
            "Weight of the latest score must be greater than 0 and at most 1.",
        ),
        ("n_mastery", {"n": 0}, "Times needed must be a whole number at least 1."),
        ("n_mastery", {"n": "2.5"}, "Times needed must be a whole number at least 1."),
        ("recent_average", {"window": 0}, "How many recent scores count must be a whole number"),
        ("mode", {"ties": 2}, "When two scores are equally frequent must be 0 (the more recent"),
        ("bkt", {"p_slip": 0.5}, "Chance of a slip must be greater than 0 and less than 0.5."),
        ("bkt", {"p_guess": 0}, "Chance of a lucky guess must be greater than 0 and less than"),
        ("bkt", {"p_init": 1.2}, "Chance of knowing it at the start must be at least 0 and at"),
        ("bkt", {"threshold": 0}, "Probability that counts as mastered must be greater than 0"),
        ("decaying_average", {"weight": "abc"}, "Weight of each new score must be a number."),
        ("decaying_average", {"weight": "nan"}, "Weight of each new score must be a number."),
        ("decaying_average", {"weight": True}, "Weight of each new score must be a number."),
        ("latest", {"weight": 0.5}, "Most recent score has no parameter 'weight'"),
        ("bkt", {"n": 2}, "Knowledge tracing (probability) has no parameter 'n'"),
    ],
    ids=lambda value: str(value) if isinstance(value, str) else None,
)
def test_validate_params_refuses_with_a_one_line_reason(name, params, reason):
    with pytest.raises(InvalidInputError) as caught:
        validate_params(name, params)
    message = str(caught.value)
    assert message.startswith(reason)
    assert "\n" not in message
    assert caught.value.field == next(iter(params))


def test_calculate_checks_params():
    with pytest.raises(InvalidInputError, match="Weight"):
        calculate("decaying_average", history(3), DEFAULT_SCALE, {"weight": 2})


def test_calculate_fills_in_defaults():
    default = calculate("weighted_average", history(0, 4), DEFAULT_SCALE)
    explicit = calculate("weighted_average", history(0, 4), DEFAULT_SCALE, {"weight": 0.65})
    # 0.65*4 + 0.35*0 = 2.6
    assert default.score == explicit.score == pytest.approx(2.6)


def test_parameter_values_read_in_words():
    weight = CALCULATION_METHODS["decaying_average"].parameters[0]
    assert weight.kind is Kind.SHARE
    assert weight.words(0.65) == "65%"
    ties = CALCULATION_METHODS["mode"].parameters[0]
    assert ties.words(1) == "the higher one counts"


def test_teacher_explanation_is_written_to_the_teacher():
    result = calculate("decaying_average", history(2, 3), DEFAULT_SCALE)
    text = teacher_explanation(
        "decaying_average",
        {},
        DEFAULT_SCALE,
        score=result.score,
        label="Near Mastery",
        mastered=result.mastered,
        next_score=result.next_score_to_master,
    )
    assert text == (
        "Decaying average. Recent work counts most: each new score makes up 65% of the result "
        "and older scores fade step by step. Now 2.65, Near Mastery; a 4 as the next score "
        "would reach Mastery."
    )
    assert "you" not in text.lower().split()


def test_teacher_explanation_of_bkt_floors_the_probability():
    text = teacher_explanation(
        "bkt",
        {},
        DEFAULT_SCALE,
        score=0.949,
        label="Near Mastery",
        mastered=False,
        next_score=3,
        probability=0.949,
    )
    assert "Now 94% likely, Near Mastery" in text
    assert "(95% means mastered)" in text
