"""A student's goals and check-ins."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import goals as service
from lti_pl.services.targets import list_targets
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.student import bp


def _render(course_id: int, error: InvalidInputError | None = None) -> ResponseReturnValue:
    page = render_template(
        "student/goals/list.html",
        course_id=course_id,
        goals=service.list_goals(current_enrollment().id),
        targets=list_targets(course_id),
        error=error,
        form=request.form if error else None,
        today=utcnow().date(),
    )
    return (page, 422) if error else page


@bp.get("/goals")
@requires_role(CourseRole.STUDENT)
def goals(course_id: int) -> ResponseReturnValue:
    """The student's goals and a form for a new one."""
    return _render(course_id)


@bp.post("/goals")
@requires_role(CourseRole.STUDENT)
def create_goal(course_id: int) -> ResponseReturnValue:
    """Set a goal."""
    form = request.form
    try:
        service.create_goal(
            current_enrollment(),
            form.get("target_id", ""),
            form.get("text", ""),
            form.get("due", ""),
            now=utcnow(),
        )
    except InvalidInputError as error:
        return _render(course_id, error)
    flash("Goal set.")
    return redirect(url_for("student.goals", course_id=course_id), 303)


@bp.post("/goals/<int:goal_id>/check-ins")
@requires_role(CourseRole.STUDENT)
def goal_check_in(course_id: int, goal_id: int) -> ResponseReturnValue:
    """Add a check-in reflection."""
    service.check_in(current_enrollment(), goal_id, request.form.get("text", ""), now=utcnow())
    flash("Check-in saved.")
    return redirect(url_for("student.goals", course_id=course_id) + f"#goal-{goal_id}", 303)


@bp.post("/goals/<int:goal_id>/status")
@requires_role(CourseRole.STUDENT)
def goal_status(course_id: int, goal_id: int) -> ResponseReturnValue:
    """Mark a goal met, dropped or active."""
    service.set_status(current_enrollment(), goal_id, request.form.get("status", ""), now=utcnow())
    flash("Goal updated.")
    return redirect(url_for("student.goals", course_id=course_id) + f"#goal-{goal_id}", 303)
