"""Aggregate grades: assessed targets only, or all with unassessed ones at the lowest level."""

from __future__ import annotations

import pytest

from lti_pl.domain.aggregates import AggregateMode, aggregate_grade


def grade(mode, grades=(100.0,), unassessed=1, mastered=1):
    return aggregate_grade(
        list(grades),
        mastered=mastered,
        unassessed=unassessed,
        mode=mode,
        lowest_grade=0.0,
        lowest_label="Well Below Mastery",
    )


def test_assessed_only_counts_the_assessed_target_and_says_so():
    total = grade(AggregateMode.ASSESSED, grades=(85.0,))
    assert total.percent == 85.0
    assert total.comment == (
        "Mastery over 1 assessed target: 1 mastered. 1 not assessed yet is not counted."
    )


def test_all_targets_count_the_unassessed_one_as_the_lowest_level():
    total = grade(AggregateMode.ALL, grades=(85.0,))
    assert total.percent == 42.5
    assert total.comment == (
        "Mastery over all 2 targets: 1 mastered. 1 not assessed yet counts as Well Below Mastery."
    )


@pytest.mark.parametrize("mode", list(AggregateMode))
def test_every_target_assessed_gives_the_same_grade_under_both_rules(mode):
    total = grade(mode, grades=(70.0, 100.0), unassessed=0)
    assert total.percent == 85.0
    assert "not assessed" not in total.comment


def test_assessed_only_with_every_target_assessed_keeps_the_old_comment():
    total = grade(AggregateMode.ASSESSED, grades=(70.0, 100.0), unassessed=0)
    assert total.comment == "Mastery over 2 assessed targets: 1 mastered."


def test_nothing_assessed_has_no_grade_under_assessed_only():
    assert grade(AggregateMode.ASSESSED, grades=(), unassessed=2, mastered=0).percent is None
    assert grade(AggregateMode.ALL, grades=(), unassessed=2, mastered=0).percent == 0.0
