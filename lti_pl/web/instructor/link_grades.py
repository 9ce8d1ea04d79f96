"""The first launch of a link placed by hand: the teacher says what its gradebook column holds."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import parse_id
from lti_pl.jobs.hooks import wake_after_commit
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import link_grades
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/links/<int:link_id>/grades")
@requires_role(CourseRole.TEACHER)
def link_grade_setup(course_id: int, link_id: int) -> ResponseReturnValue:
    """Ask what the column of a hand-placed link holds (one target, several, overall mastery)."""
    return _page(course_id, link_id)


def _page(
    course_id: int, link_id: int, error: InvalidInputError | None = None
) -> ResponseReturnValue:
    enrollment = current_enrollment()
    link = link_grades.course_link(course_id, link_id)
    return (
        render_template(
            "instructor/link_grades.html",
            course=enrollment.course,
            link=link,
            targets=link_grades.setup_targets(course_id),
            error=error,
            form=request.form,
        ),
        422 if error else 200,
    )


@bp.post("/links/<int:link_id>/grades")
@requires_role(CourseRole.TEACHER)
def save_link_grade_setup(course_id: int, link_id: int) -> ResponseReturnValue:
    """Store the teacher's choice on the link and queue the current grades for its column."""
    choice = request.form.get("choice", "")
    field = "target_id" if choice == "target" else "target_ids"
    ids = [i for v in request.form.getlist(field) if (i := parse_id(v)) is not None]
    try:
        item = link_grades.set_up_link_grades(
            current_enrollment(), link_id, choice=choice, target_ids=ids, now=utcnow()
        )
    except InvalidInputError as error:
        return _page(course_id, link_id, error)
    wake_after_commit(course_id)
    flash(
        f"Saved: the column “{item.label or 'lti_pl'}” gets its grades from lti_pl. "
        "The students' current grades are on their way to the LMS."
    )
    return redirect(url_for("instructor.grades_sync", course_id=course_id), code=303)
