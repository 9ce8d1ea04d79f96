"""Mastery-based release: a rule fires when the level enters its range, not while it stays."""

from __future__ import annotations

import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.release_rules import Rule, rules_fired, validate_range
from lti_pl.domain.targets import DEFAULT_SCALE

RETEACH = Rule(1, target_id=7, activity_id=10, min_points=0, max_points=1)
PRACTICE = Rule(2, target_id=7, activity_id=11, min_points=2, max_points=2)
EXTENSION = Rule(3, target_id=7, activity_id=12, min_points=3, max_points=4)
OTHER_TARGET = Rule(4, target_id=8, activity_id=13, min_points=0, max_points=4)
RULES = (RETEACH, PRACTICE, EXTENSION, OTHER_TARGET)


@pytest.mark.parametrize(
    ("before", "after", "fired"),
    [
        pytest.param(None, 1, [RETEACH], id="first-level-below"),
        pytest.param(1, 2, [PRACTICE], id="below-to-near"),
        pytest.param(2, 3, [EXTENSION], id="near-to-mastered"),
        pytest.param(3, 4, [], id="stays-mastered"),
        pytest.param(0, 1, [], id="stays-below"),
        pytest.param(3, 1, [RETEACH], id="drops-below"),
        pytest.param(2, None, [], id="no-level"),
    ],
)
def test_rules_fire_when_the_level_enters_their_range(before, after, fired):
    assert rules_fired(RULES, 7, before, after) == fired


def test_a_range_is_two_levels_low_to_high():
    validate_range(0, 1, DEFAULT_SCALE)
    for low, high in ((3, 2), (0.5, 2), (0, 5)):
        with pytest.raises(InvalidInputError) as raised:
            validate_range(low, high, DEFAULT_SCALE)
        assert raised.value.field == "range"
