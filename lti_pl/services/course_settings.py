"""The teacher changes a course's mastery settings, and every student's mastery is recomputed.

An orchestrator above the engine: it validates and stores the settings (read back through
`services.courses.course_policy`), then calls `services.course_recompute.recompute_course`.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.evidence import ReassessmentPolicy, RelearningRequirement
from lti_pl.domain.mastery import CALCULATION_METHODS, validate_params
from lti_pl.domain.targets import GradeConversion, MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment
from lti_pl.services.course_recompute import recompute_course

logger = logging.getLogger(__name__)

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class SettingsForm:
    """The teacher's settings form, as text from the browser.

    Attributes:
        levels: rows of (points, label, colour) text; blank rows are ignored.
        mastery_points: the mastery threshold.
        calculation_method: a key of CALCULATION_METHODS.
        method_params: the method's parameters as text (blank: default).
        grade_mode: "table" or "proportional".
        grades: points text to percent text for the table.
        max_attempts: reassessments per target; blank for no limit.
        window_days: days after an assessment to ask again; blank for no limit.
        relearning: a RelearningRequirement value.
    """

    levels: Sequence[tuple[str, str, str]]
    mastery_points: str
    calculation_method: str
    method_params: Mapping[str, str]
    grade_mode: str
    grades: Mapping[str, str]
    max_attempts: str
    window_days: str
    relearning: str


def _number(text: str, field: str, what: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise InvalidInputError(f"{what} must be a number.", field=field) from None
    if not math.isfinite(number):  # "nan" and "inf" parse, but no score or grade is either
        raise InvalidInputError(f"{what} must be a number.", field=field)
    return number


def _optional_whole(text: str, field: str, what: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInputError(f"{what} must be a whole number or blank.", field=field) from None


def parse_scale(levels: Sequence[tuple[str, str, str]], mastery_points: str) -> MasteryScale:
    """A validated scale from form rows.

    Raises:
        InvalidInputError: a row is incomplete, a colour is not #rrggbb, or the scale is invalid.
    """
    rows: list[tuple[float, str, str]] = []
    for number, (points, label, color) in enumerate(levels, start=1):
        if not (points.strip() or label.strip()):
            continue
        if not label.strip():
            raise InvalidInputError(f"Level {number} needs a label.", field="levels")
        if not _COLOR.match(color.strip()):
            raise InvalidInputError(
                f"Level {number}'s colour must look like #12ab34.", field="levels"
            )
        rows.append(
            (_number(points, "levels", f"Level {number}'s points"), label.strip(), color.strip())
        )
    threshold = _number(mastery_points, "mastery_points", "The mastery threshold")
    try:
        return MasteryScale.from_levels(rows, threshold)
    except InvalidInputError as error:
        field = "mastery_points" if "threshold" in str(error) else "levels"
        raise InvalidInputError(str(error), field=field) from None


def update_settings(actor: Enrollment, form: SettingsForm, *, now: datetime) -> tuple[Course, int]:
    """Validate every setting, store them, and recompute the course's mastery.

    Nothing changes if any setting is invalid.

    Returns:
        The course and the number of mastery records recomputed.

    Raises:
        InvalidInputError: with the field of the first invalid setting.
    """
    course = actor.course
    scale = parse_scale(form.levels, form.mastery_points)
    method = form.calculation_method.strip()
    if method not in CALCULATION_METHODS:
        raise InvalidInputError("Choose a calculation method.", field="calculation_method")
    params = validate_params(method, dict(form.method_params))
    if form.grade_mode == "proportional":
        conversion = GradeConversion(None)
        stored_table: dict[str, Any] = {"proportional": True}
    else:
        table: dict[float, float] = {}
        for points, grade in form.grades.items():
            if grade.strip():
                level = _number(points, "grade_table", "Each grade's level")
                table[level] = _number(grade, "grade_table", "Each grade")
        conversion = GradeConversion.from_table(table)
        stored_table = {f"{p:g}": g for p, g in table.items()}
    conversion.check(scale)
    try:
        policy = ReassessmentPolicy(
            max_attempts=_optional_whole(form.max_attempts, "max_attempts", "Reassessments"),
            window_days=_optional_whole(form.window_days, "window_days", "The window"),
            relearning=RelearningRequirement(form.relearning or "none"),
        )
    except ValueError:
        raise InvalidInputError("Choose what relearning is required.", field="relearning") from None

    course.scale_levels = [[level.points, level.label, level.color] for level in scale.levels]
    course.mastery_points = scale.mastery_points
    course.calculation_method = method
    course.method_params = params
    course.grade_table = stored_table
    course.reassessment_policy = {
        "max_attempts": policy.max_attempts,
        "window_days": policy.window_days,
        "relearning": str(policy.relearning),
    }
    db.session.flush()
    count = recompute_course(course.id, now)
    logger.info("settings updated course=%s recomputed=%s", course.id, count)
    return course, count
