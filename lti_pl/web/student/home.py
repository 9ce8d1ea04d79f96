"""The student's pages of a course."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import link_grades
from lti_pl.services.reassessment import student_levels
from lti_pl.services.rotations import STATION_LABELS, where_now
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.student import bp


@bp.get("/")
@requires_role(CourseRole.STUDENT, CourseRole.OBSERVER)
def home(course_id: int) -> ResponseReturnValue:
    """The course home for students (observers see their students' work read-only)."""
    enrollment = current_enrollment()
    now = utcnow()
    is_student = enrollment.role == CourseRole.STUDENT.value
    progress = student_levels(enrollment) if is_student else []
    areas = STUDENT_AREAS if is_student else OBSERVER_AREAS
    return render_template(
        "student/home.html",
        enrollment=enrollment,
        course=enrollment.course,
        progress=progress,
        areas=area_links(areas, course_id),
        where_now=where_now(enrollment, now=now) if is_student else None,
        station_labels=STATION_LABELS,
        now=now,
    )


#: The pages each role reaches from the course home, when that area is installed.
STUDENT_AREAS = (
    ("student.targets", "My learning targets"),
    ("student.boards", "Choice boards"),
    ("student.path", "My learning path"),
    ("student.profile", "My profile"),
    ("student.goals", "My goals"),
    ("student.binder", "My binder"),
)
OBSERVER_AREAS = (("student.observe", "My students' work"),)


def area_links(areas: tuple[tuple[str, str], ...], course_id: int) -> list[tuple[str, str]]:
    """(url, label) of the areas whose views exist (areas land one at a time)."""
    return [
        (url_for(endpoint, course_id=course_id), label)
        for endpoint, label in areas
        if endpoint in current_app.view_functions
    ]


@bp.get("/links/<int:link_id>")
@requires_role(CourseRole.STUDENT, CourseRole.OBSERVER)
def link_not_set_up(course_id: int, link_id: int) -> ResponseReturnValue:
    """A link placed by hand that its teacher has not set up yet: a plain page, not an error."""
    enrollment = current_enrollment()
    link = link_grades.course_link(course_id, link_id)
    if link_grades.link_needing_setup(course_id, link.id) is None:
        return redirect(url_for("student.home", course_id=course_id), code=303)
    return render_template("student/link_not_set_up.html", course=enrollment.course, link=link)
