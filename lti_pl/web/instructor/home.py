"""The teacher's pages of a course."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/")
@requires_role(CourseRole.TEACHER)
def home(course_id: int) -> ResponseReturnValue:
    """The course home for teachers."""
    enrollment = current_enrollment()
    return render_template("instructor/home.html", enrollment=enrollment, course=enrollment.course)


@bp.get("/deep-link")
@requires_role(CourseRole.TEACHER)
def deep_link_picker(course_id: int) -> ResponseReturnValue:
    """The content picker a deep-linking request opens."""
    enrollment = current_enrollment()
    return render_template("instructor/deep_link.html", course=enrollment.course)
