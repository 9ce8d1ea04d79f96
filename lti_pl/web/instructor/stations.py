"""Station rotation planner: proposed groups, the teacher's moves, saved printable plans."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.ids import parse_id
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import stations as service
from lti_pl.services.targets import list_targets
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/stations")
@requires_role(CourseRole.TEACHER)
def stations(course_id: int) -> ResponseReturnValue:
    """Pick a target and a group size; see the proposed groups with a select per student."""
    actor = current_enrollment()
    target_id = parse_id(request.args.get("target_id", ""))
    size = service.parse_group_size(request.args.get("max_group_size", ""))
    plan = service.propose(actor.course, target_id, size) if target_id is not None else None
    return render_template(
        "instructor/stations/planner.html",
        course_id=course_id,
        targets=list_targets(course_id),
        target_id=target_id,
        max_group_size=size,
        plan=plan,
        saved=service.saved_plans(course_id),
    )


@bp.post("/stations")
@requires_role(CourseRole.TEACHER)
def save_stations(course_id: int) -> ResponseReturnValue:
    """Save the plan with the teacher's moves."""
    form = request.form
    moves = {
        student_id: value
        for key, value in form.items()
        if key.startswith("group-") and (student_id := parse_id(key[6:])) is not None
    }
    record = service.save_plan(
        current_enrollment(),
        parse_id(form.get("target_id", "")) or 0,
        service.parse_group_size(form.get("max_group_size", "")),
        form.get("title", ""),
        moves,
        now=utcnow(),
    )
    flash("Rotation saved.")
    return redirect(url_for("instructor.station_plan", course_id=course_id, plan_id=record.id), 303)


@bp.get("/stations/<int:plan_id>")
@requires_role(CourseRole.TEACHER)
def station_plan(course_id: int, plan_id: int) -> ResponseReturnValue:
    """A saved plan, ready to print."""
    record = service.get_plan(course_id, plan_id)
    return render_template("instructor/stations/plan.html", course_id=course_id, record=record)
