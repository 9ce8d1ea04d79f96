"""The teacher's pages of a course."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.services.reassessment import queue_count
from lti_pl.services.targets import list_targets
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp
from lti_pl.web.student.home import area_links


@bp.get("/")
@requires_role(CourseRole.TEACHER)
def home(course_id: int) -> ResponseReturnValue:
    """The course home for teachers."""
    enrollment = current_enrollment()
    return render_template(
        "instructor/home.html",
        enrollment=enrollment,
        course=enrollment.course,
        target_count=len(list_targets(course_id)),
        queue_count=queue_count(course_id),
        areas=area_links(TEACHER_AREAS, course_id),
    )


#: Other areas' pages linked from the teacher's home, when installed.
TEACHER_AREAS = (
    ("instructor.data_wall", "Data wall"),
    ("instructor.boards", "Choice boards"),
    ("instructor.stations", "Stations"),
    ("instructor.path", "Learning path"),
    ("instructor.profiles", "Learning profiles"),
    ("instructor.roster", "Roster"),
    ("instructor.grades_sync", "Grades sent to the LMS"),
    ("instructor.exports", "Exports"),
)
