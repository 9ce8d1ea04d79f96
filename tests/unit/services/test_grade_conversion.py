"""Mastery to a percentage grade: the default table, a custom one, proportional."""

from __future__ import annotations

import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.targets import DEFAULT_GRADE_CONVERSION, DEFAULT_SCALE, GradeConversion


@pytest.mark.parametrize(
    ("score", "grade"), [(4, 100), (3.3, 85), (3, 85), (2.65, 70), (1, 55), (0.9, 0), (0, 0)]
)
def test_default_table_converts_by_level(score, grade):
    assert DEFAULT_GRADE_CONVERSION.grade(score, DEFAULT_SCALE) == grade


def test_proportional_is_score_over_max():
    assert GradeConversion(None).grade(2.65, DEFAULT_SCALE) == 66.25


def test_a_table_must_cover_every_level_within_0_to_100():
    with pytest.raises(InvalidInputError, match="Give a grade for Well Below Mastery"):
        GradeConversion.from_table({4: 100, 3: 90, 2: 80, 1: 70}).check(DEFAULT_SCALE)
    with pytest.raises(InvalidInputError, match="between 0 and 100"):
        GradeConversion.from_table({4: 120, 3: 90, 2: 80, 1: 70, 0: 0}).check(DEFAULT_SCALE)
