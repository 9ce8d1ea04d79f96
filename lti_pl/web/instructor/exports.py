"""CSV exports and the per-student report."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import exports as service
from lti_pl.services import goals
from lti_pl.services.enrollments import course_students
from lti_pl.services.profiles import readable_student
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/exports")
@requires_role(CourseRole.TEACHER)
def exports(course_id: int) -> ResponseReturnValue:
    """Download links and the list of student reports."""
    return render_template(
        "instructor/exports/index.html", course_id=course_id, students=course_students(course_id)
    )


def _csv_response(text: str, name: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/exports/data-wall.csv")
@requires_role(CourseRole.TEACHER)
def export_data_wall(course_id: int) -> ResponseReturnValue:
    """The data wall as CSV, one row per student and target."""
    return _csv_response(
        service.data_wall_csv(current_enrollment().course), f"data-wall-{course_id}.csv"
    )


@bp.get("/exports/evidence.csv")
@requires_role(CourseRole.TEACHER)
def export_evidence(course_id: int) -> ResponseReturnValue:
    """All evidence of the course as CSV."""
    return _csv_response(
        service.evidence_csv(current_enrollment().course), f"evidence-{course_id}.csv"
    )


@bp.get("/exports/audit.csv")
@requires_role(CourseRole.TEACHER)
def export_audit(course_id: int) -> ResponseReturnValue:
    """The whole grade audit trail as CSV, oldest first."""
    return _csv_response(service.audit_csv(current_enrollment()), f"grade-audit-{course_id}.csv")


@bp.get("/students/<int:enrollment_id>/report")
@requires_role(CourseRole.TEACHER)
def student_report(course_id: int, enrollment_id: int) -> ResponseReturnValue:
    """A student's report: profile, self-assessment beside the assessed level, goals (printable)."""
    student = readable_student(current_enrollment(), enrollment_id)
    return render_template(
        "instructor/exports/report.html",
        course_id=course_id,
        report=service.student_report(student),
        can_comment=True,
        score_url=url_for("instructor.quick_grid_student", course_id=course_id, student=student.id),
    )


@bp.post("/goals/<int:goal_id>/comments")
@requires_role(CourseRole.TEACHER)
def comment_goal(course_id: int, goal_id: int) -> ResponseReturnValue:
    """Comment on a student's goal."""
    entry = goals.comment(current_enrollment(), goal_id, request.form.get("text", ""), now=utcnow())
    student_id = goals.goal_for_reader(current_enrollment(), entry.goal_id).enrollment_id
    flash("Comment added.")
    return redirect(
        url_for("instructor.student_report", course_id=course_id, enrollment_id=student_id)
        + f"#goal-{goal_id}",
        303,
    )
