"""Which score is "latest": evidence is ordered by when the work was done, not when it was graded.

Canvas orders outcome results by the grading date, so a project graded late overtakes a newer
quiz. The work date is the evidence's submission time; a score without evidence (the quick
grid) uses the assessment's date; a teacher may correct the date (work done on paper, a
submission uploaded late). Ties keep the order the assessments were recorded in.
"""

from __future__ import annotations

from datetime import datetime

from lti_pl.domain.errors import InvalidInputError


def work_date(work_done_at: datetime | None, assessed_at: datetime) -> datetime:
    """The date the mastery engine orders a score by."""
    return work_done_at if work_done_at is not None else assessed_at


def validate_work_date(when: datetime, *, assessed_at: datetime, now: datetime) -> datetime:
    """A corrected work date, checked: work cannot be done after it was assessed or in the future.

    Raises:
        InvalidInputError: field "work_done_at".
    """
    if when > now or when.date() > assessed_at.date():
        raise InvalidInputError(
            "The work must have been done on or before the day it was assessed.",
            field="work_done_at",
        )
    return when
