"""Teachers see the class's learning profiles beside their assessed levels."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.services.profiles import class_profiles
from lti_pl.web.access import requires_role
from lti_pl.web.instructor import bp


@bp.get("/profiles")
@requires_role(CourseRole.TEACHER)
def profiles(course_id: int) -> ResponseReturnValue:
    """Every student's interests, preferred ways of working and dial, with a link to the report."""
    return render_template(
        "instructor/exports/profiles.html", course_id=course_id, rows=class_profiles(course_id)
    )
