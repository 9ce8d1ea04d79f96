"""The student's pages of a course."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.student import bp


@bp.get("/")
@requires_role(CourseRole.STUDENT, CourseRole.OBSERVER)
def home(course_id: int) -> ResponseReturnValue:
    """The course home for students (observers see their students' work read-only)."""
    enrollment = current_enrollment()
    return render_template("student/home.html", enrollment=enrollment, course=enrollment.course)
