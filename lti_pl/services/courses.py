"""A course's mastery policy, read-only: scale, calculation method, grade conversion, reassessment.

`course_policy(course)` reads it once as one value; the mastery engine, the grade passback and
the evidence rules take it from there. Changing it is `services.course_settings`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lti_pl.domain.evidence import ReassessmentPolicy, RelearningRequirement
from lti_pl.domain.targets import (
    DEFAULT_GRADE_TABLE,
    DEFAULT_SCALE,
    GradeConversion,
    MasteryScale,
)
from lti_pl.models.courses import Course
from lti_pl.models.targets import LearningTarget

logger = logging.getLogger(__name__)

DEFAULT_METHOD = "decaying_average"
DEFAULT_POLICY = ReassessmentPolicy(
    max_attempts=None, window_days=None, relearning=RelearningRequirement.NONE
)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def course_scale(course: Course) -> MasteryScale:
    """The course's mastery scale (Canvas's default 0..4 scale until the teacher edits it)."""
    if not course.scale_levels:
        return DEFAULT_SCALE
    levels = [(float(p), str(label), str(color)) for p, label, color in course.scale_levels]
    threshold = course.mastery_points
    return MasteryScale.from_levels(
        levels, DEFAULT_SCALE.mastery_points if threshold is None else threshold
    )


def grade_table(course: Course) -> GradeConversion:
    """How the course converts mastery to a grade (default table 4→100 … 0→0, or proportional).

    Stored as `{"4": 100, ...}` or `{"proportional": true}`.
    """
    stored = course.grade_table
    if not stored:
        return GradeConversion.from_table(DEFAULT_GRADE_TABLE)
    if stored.get("proportional"):
        return GradeConversion(None)
    return GradeConversion.from_table({float(k): float(v) for k, v in stored.items()})


def course_method(course: Course) -> tuple[str, dict[str, float]]:
    """The course's calculation method and its parameters."""
    method = course.calculation_method or DEFAULT_METHOD
    return method, {k: float(v) for k, v in (course.method_params or {}).items()}


def reassessment_policy(course: Course) -> ReassessmentPolicy:
    """The course's reassessment rules (no limits and no relearning required by default)."""
    stored = course.reassessment_policy or {}
    if not stored:
        return DEFAULT_POLICY
    return ReassessmentPolicy(
        max_attempts=stored.get("max_attempts"),
        window_days=stored.get("window_days"),
        relearning=RelearningRequirement(stored.get("relearning", "none")),
    )


@dataclass(frozen=True)
class CoursePolicy:
    """A course's mastery settings, read once.

    Attributes:
        scale: the mastery scale.
        conversion: how mastery converts to a percentage grade.
        method: the course's calculation method (a target may override it).
        params: that method's parameters.
        reassessment: the reassessment rules.
    """

    scale: MasteryScale
    conversion: GradeConversion
    method: str
    params: Mapping[str, float]
    reassessment: ReassessmentPolicy

    def target_method(self, target: LearningTarget) -> tuple[str, dict[str, float]]:
        """The target's calculation method and params, else the course's."""
        if target.calculation_method:
            return target.calculation_method, {
                k: float(v) for k, v in (target.method_params or {}).items()
            }
        return self.method, dict(self.params)


def course_policy(course: Course) -> CoursePolicy:
    """The course's mastery policy as one value (defaults where the teacher set nothing)."""
    method, params = course_method(course)
    return CoursePolicy(
        scale=course_scale(course),
        conversion=grade_table(course),
        method=method,
        params=params,
        reassessment=reassessment_policy(course),
    )
