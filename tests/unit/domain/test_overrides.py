"""A teacher's override of a calculated level: validation, what it shows, what releases it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import Observation, calculate
from lti_pl.domain.overrides import Override, apply_override, is_released_by, validate_override
from lti_pl.domain.targets import DEFAULT_SCALE

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def history(*scores):
    return [Observation(s, T0 + timedelta(days=i)) for i, s in enumerate(scores)]


def test_override_after_relearning_reaches_mastery_the_average_does_not():
    # 1 then a 3 after relearning: the decaying average (65 % latest) is 2.3, Near Mastery.
    calculated = calculate("decaying_average", history(1, 3), DEFAULT_SCALE, {})
    assert calculated.level.label == "Near Mastery"
    override = Override(3, "Explained the method again in conference.", T0 + timedelta(days=2))

    result = apply_override(calculated, override, DEFAULT_SCALE)

    assert (result.score, result.level.label, result.mastered) == (3, "Mastery", True)
    assert result.next_score_to_master is None
    assert result.explanation == (
        "Your teacher set your level to Mastery (3): Explained the method again in conference. "
        "From your scores alone it is Near Mastery (2.3). Your next assessment counts again."
    )
    assert result.method == "decaying_average"


def test_override_below_mastery_keeps_the_next_score_the_calculation_needs():
    calculated = calculate("latest", history(3), DEFAULT_SCALE, {})
    result = apply_override(calculated, Override(2, "Copied work.", T0), DEFAULT_SCALE)
    assert (result.level.label, result.mastered) == ("Near Mastery", False)
    assert result.next_score_to_master == calculated.next_score_to_master


def test_override_without_scores_says_so():
    calculated = calculate("latest", [], DEFAULT_SCALE, {})
    result = apply_override(calculated, Override(4, "Oral exam.", T0), DEFAULT_SCALE)
    assert result.score == 4
    assert "There are no assessed scores yet." in result.explanation


@pytest.mark.parametrize(
    ("points", "reason", "field"),
    [
        pytest.param(2.5, "ok", "points", id="not-a-level"),
        pytest.param(5, "ok", "points", id="above-the-scale"),
        pytest.param(3, "   ", "reason", id="blank-reason"),
        pytest.param(3, "x" * 2001, "reason", id="reason-too-long"),
    ],
)
def test_override_needs_a_level_and_a_reason(points, reason, field):
    with pytest.raises(InvalidInputError) as raised:
        validate_override(points, reason, DEFAULT_SCALE)
    assert raised.value.field == field


def test_valid_override_strips_the_reason():
    assert validate_override(3, "  Conference.  ", DEFAULT_SCALE) == (3, "Conference.")


def test_only_a_newer_assessment_releases_an_override():
    override = Override(3, "r", T0)
    assert is_released_by(override, T0 + timedelta(seconds=1))
    assert not is_released_by(override, T0)
    assert not is_released_by(override, T0 - timedelta(days=1))
