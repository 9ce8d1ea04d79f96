"""Scores are ordered by when the work was done; a teacher's corrected date is checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.evidence_order import validate_work_date, work_date
from lti_pl.domain.mastery import Observation, calculate
from lti_pl.domain.targets import DEFAULT_SCALE

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_work_date_is_the_submission_else_the_assessment():
    assert work_date(T0, T0 + timedelta(days=5)) == T0
    assert work_date(None, T0 + timedelta(days=5)) == T0 + timedelta(days=5)


def test_a_project_graded_late_does_not_become_latest():
    # Project done on day 1, graded on day 9; quiz done and graded on day 5.
    project = Observation(1, work_date(T0 + timedelta(days=1), T0 + timedelta(days=9)))
    quiz = Observation(3, work_date(None, T0 + timedelta(days=5)))
    assert calculate("latest", [project, quiz], DEFAULT_SCALE, {}).score == 3


def test_a_corrected_date_after_the_assessment_or_in_the_future_is_refused():
    assessed = T0 + timedelta(days=3)
    assert validate_work_date(T0, assessed_at=assessed, now=assessed) == T0
    same_day = assessed.replace(hour=0)
    assert validate_work_date(same_day, assessed_at=assessed, now=assessed) == same_day
    for bad in (assessed + timedelta(days=1), T0 + timedelta(days=30)):
        with pytest.raises(InvalidInputError) as raised:
            validate_work_date(bad, assessed_at=assessed, now=assessed)
        assert raised.value.field == "work_done_at"
