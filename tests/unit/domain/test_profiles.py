from datetime import date, timedelta

import pytest

from lti_pl.domain.choice_boards import Modality
from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.profiles import (
    Goal,
    GoalStatus,
    LearningProfile,
    SelfAssessment,
    normalize_interests,
    parse_modalities,
    validate_goal,
)

TODAY = date(2025, 3, 12)


def test_self_assessment_labels_are_student_facing():
    assert [s.label for s in SelfAssessment] == [
        "I'm not there yet",
        "Getting there",
        "Got it",
        "I can teach it",
    ]
    assert SelfAssessment("got_it") is SelfAssessment.GOT_IT


def test_empty_profile_has_no_preferences():
    profile = LearningProfile()
    assert profile.interests == frozenset()
    assert profile.modalities == frozenset()
    assert dict(profile.self_assessments) == {}
    assert profile.goals == ()


def test_interests_are_trimmed_lowercased_and_deduplicated():
    assert normalize_interests(" Drawing, football ,,drawing,  Video   Games ") == frozenset(
        {"drawing", "football", "video games"}
    )


def test_blank_interests_give_empty_set():
    assert normalize_interests("  , ,") == frozenset()


def test_interests_refused_over_ten():
    with pytest.raises(InvalidInputError, match="at most 10 interests; you listed 11") as error:
        normalize_interests(",".join(f"topic {i}" for i in range(11)))
    assert error.value.field == "interests"


def test_ten_interests_allowed_with_duplicates_not_counted():
    text = ",".join([f"topic {i}" for i in range(10)] + ["TOPIC 1"])
    assert len(normalize_interests(text)) == 10


def test_interest_refused_over_forty_characters():
    with pytest.raises(InvalidInputError, match="40 characters") as error:
        normalize_interests("music, " + "a" * 41)
    assert error.value.field == "interests"
    assert normalize_interests("a" * 40) == frozenset({"a" * 40})


def test_modalities_parsed_from_form_values():
    assert parse_modalities(["watch", " Create "]) == frozenset({Modality.WATCH, Modality.CREATE})


def test_unknown_modality_refused():
    with pytest.raises(InvalidInputError, match="“dance” is not a way of working") as error:
        parse_modalities(["dance"])
    assert error.value.field == "modalities"


def test_goal_text_is_trimmed():
    assert validate_goal("  Explain photosynthesis  ", TODAY, TODAY) == "Explain photosynthesis"
    goal = Goal(target_id=3, text="Explain photosynthesis", due=TODAY)
    assert goal.status is GoalStatus.ACTIVE


def test_goal_refused_without_text():
    with pytest.raises(InvalidInputError, match="Write what you want") as error:
        validate_goal("   ", TODAY, TODAY)
    assert error.value.field == "text"


def test_goal_refused_with_overlong_text():
    with pytest.raises(InvalidInputError, match="500 characters"):
        validate_goal("x" * 501, TODAY, TODAY)


def test_goal_refused_with_past_due_date():
    with pytest.raises(InvalidInputError, match="from today on") as error:
        validate_goal("Learn fractions", TODAY - timedelta(days=1), TODAY)
    assert error.value.field == "due"


def test_goal_refused_more_than_a_year_ahead():
    validate_goal("Learn fractions", TODAY + timedelta(days=366), TODAY)
    with pytest.raises(InvalidInputError, match="within the next year"):
        validate_goal("Learn fractions", TODAY + timedelta(days=367), TODAY)
