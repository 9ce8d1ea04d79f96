"""The class's level over time: one small chart per target (the class median, mastery drawn)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.services import class_levels
from lti_pl.services.wall_cells import scale_of
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/class-levels")
@requires_role(CourseRole.TEACHER)
def class_levels_page(course_id: int) -> ResponseReturnValue:
    """Small multiples of the class median level over time, one per target."""
    course = current_enrollment().course
    return render_template(
        "instructor/data_wall/class_levels.html",
        course=course,
        course_id=course_id,
        charts=class_levels.class_level_charts(course),
        scale=scale_of(course),
    )
