"""The teacher sets the learning path: which targets, in what order, with which prerequisites."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import parse_id
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import paths as service
from lti_pl.services.targets import list_targets
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


def _render(course_id: int, error: InvalidInputError | None = None) -> ResponseReturnValue:
    steps = {s.target_id: s for s in service.path_steps(course_id)}
    page = render_template(
        "instructor/paths/edit.html",
        course_id=course_id,
        targets=list_targets(course_id),
        steps=steps,
        settings=service.path_settings(course_id),
        error=error,
    )
    return (page, 422) if error else page


def _position(text: str) -> int:
    """A step's place as typed (only the order matters); 0 when it is no whole number."""
    try:
        return int(text)
    except ValueError:  # also past int()'s 4,300 digits
        return 0


@bp.get("/path")
@requires_role(CourseRole.TEACHER)
def path(course_id: int) -> ResponseReturnValue:
    """The path form: one row per target."""
    return _render(course_id)


@bp.post("/path")
@requires_role(CourseRole.TEACHER)
def save_path(course_id: int) -> ResponseReturnValue:
    """Save the path; circles and unknown prerequisites are refused with the targets named."""
    form = request.form
    steps = []
    for raw in form.getlist("on_path"):
        target_id = parse_id(raw)
        if target_id is None:
            continue
        steps.append(
            service.StepInput(
                target_id=target_id,
                position=_position(form.get(f"position-{target_id}", "")),
                prerequisites=frozenset(
                    i
                    for p in form.getlist(f"prerequisites-{target_id}")
                    if (i := parse_id(p)) is not None
                ),
            )
        )
    try:
        service.save_path(
            current_enrollment(),
            steps,
            is_sequential=form.get("is_sequential") == "1",
            now=utcnow(),
        )
    except InvalidInputError as error:
        return _render(course_id, error)
    flash("Learning path saved.")
    return redirect(url_for("instructor.path", course_id=course_id), 303)
