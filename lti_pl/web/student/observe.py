"""Observers (LTI Mentor) read their linked students' binders; nothing else."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.services.exports import student_report
from lti_pl.services.profiles import observed_students, readable_student
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.student import bp


@bp.get("/observe/")
@requires_role(CourseRole.OBSERVER)
def observe(course_id: int) -> ResponseReturnValue:
    """The students this observer follows."""
    return render_template(
        "student/binder/observe.html",
        course_id=course_id,
        students=observed_students(current_enrollment()),
    )


@bp.get("/observe/<int:student_enrollment_id>/binder")
@requires_role(CourseRole.OBSERVER)
def observe_binder(course_id: int, student_enrollment_id: int) -> ResponseReturnValue:
    """A linked student's data binder, read-only."""
    student = readable_student(current_enrollment(), student_enrollment_id)
    return render_template(
        "student/binder/binder.html", course_id=course_id, report=student_report(student)
    )
