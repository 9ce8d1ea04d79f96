"""The student's learning path."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.services.paths import student_path
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.student import bp


@bp.get("/path")
@requires_role(CourseRole.STUDENT)
def path(course_id: int) -> ResponseReturnValue:
    """Each step: mastered, open now, or waiting for which targets."""
    return render_template(
        "student/paths/path.html", course_id=course_id, steps=student_path(current_enrollment())
    )
