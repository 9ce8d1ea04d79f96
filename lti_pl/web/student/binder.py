"""The student's data binder: their evidence, feedback, mastery over time and goals."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.services.exports import student_report
from lti_pl.services.profiles import readable_student
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.student import bp


@bp.get("/binder")
@requires_role(CourseRole.STUDENT)
def binder(course_id: int) -> ResponseReturnValue:
    """The student's own data binder (printable)."""
    student = current_enrollment()
    report = student_report(readable_student(student, student.id))
    return render_template("student/binder/binder.html", course_id=course_id, report=report)
