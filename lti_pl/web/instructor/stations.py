"""Station rotation planner: proposed groups, the teacher's moves, saved printable plans."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.ids import parse_id
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import rotations as rotations_service
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


@bp.get("/rotations")
@requires_role(CourseRole.TEACHER)
def rotations(course_id: int) -> ResponseReturnValue:
    """Plan a rotation: target, minutes per station, start; the course's rotations."""
    return render_template(
        "instructor/stations/rotations.html",
        course_id=course_id,
        targets=list_targets(course_id),
        rotations=[
            rotations_service.view(r, now=utcnow()) for r in rotations_service.rotations(course_id)
        ],
        slot_minutes=rotations_service.DEFAULT_SLOT_MINUTES,
        labels=rotations_service.STATION_LABELS,
    )


@bp.post("/rotations")
@requires_role(CourseRole.TEACHER)
def plan_rotation(course_id: int) -> ResponseReturnValue:
    """Form the groups from current mastery and save the rotation."""
    form = request.form
    now = utcnow()
    record = rotations_service.plan_rotation(
        current_enrollment(),
        parse_id(form.get("target_id", "")) or 0,
        slot_minutes=rotations_service.parse_slot_minutes(form.get("slot_minutes", "")),
        starts_at=rotations_service.parse_start(
            form.get("starts_at", ""), form.get("tz_offset", ""), now=now
        ),
        title=form.get("title", ""),
        now=now,
    )
    flash("Rotation planned from current mastery.")
    return redirect(url_for("instructor.rotation", course_id=course_id, rotation_id=record.id), 303)


@bp.get("/rotations/<int:rotation_id>")
@requires_role(CourseRole.TEACHER)
def rotation(course_id: int, rotation_id: int) -> ResponseReturnValue:
    """The schedule and the groups, with a select per student (printable with ?print=1)."""
    record = rotations_service.get_rotation(course_id, rotation_id)
    return render_template(
        "instructor/stations/rotation.html",
        course_id=course_id,
        rotation=rotations_service.view(record, now=utcnow()),
        labels=rotations_service.STATION_LABELS,
        printing=bool(request.args.get("print")),
    )


@bp.post("/rotations/<int:rotation_id>/groups")
@requires_role(CourseRole.TEACHER)
def move_rotation_students(course_id: int, rotation_id: int) -> ResponseReturnValue:
    """Move students to the groups picked in their selects."""
    moves = {
        student_id: number
        for key, value in request.form.items()
        if key.startswith("group-")
        and (student_id := parse_id(key[6:])) is not None
        and (number := parse_id(value)) is not None
    }
    rotations_service.move_students(current_enrollment(), rotation_id, moves, now=utcnow())
    flash("Groups saved.")
    return redirect(
        url_for("instructor.rotation", course_id=course_id, rotation_id=rotation_id), 303
    )


@bp.post("/rotations/<int:rotation_id>/end")
@requires_role(CourseRole.TEACHER)
def end_rotation(course_id: int, rotation_id: int) -> ResponseReturnValue:
    """End the rotation now."""
    rotations_service.end_rotation(current_enrollment(), rotation_id, now=utcnow())
    flash("Rotation ended.")
    return redirect(
        url_for("instructor.rotation", course_id=course_id, rotation_id=rotation_id), 303
    )


@bp.get("/rotations/<int:rotation_id>/projector")
@requires_role(CourseRole.TEACHER)
def rotation_projector(course_id: int, rotation_id: int) -> ResponseReturnValue:
    """The classroom screen: the current slot, who is where, and the countdown."""
    record = rotations_service.get_rotation(course_id, rotation_id)
    now = utcnow()
    return render_template(
        "instructor/stations/projector.html",
        course_id=course_id,
        rotation=rotations_service.view(record, now=now),
        labels=rotations_service.STATION_LABELS,
        now=now,
    )
