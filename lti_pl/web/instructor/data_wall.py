"""The data wall: students × targets, filters, cell details, and the structure dial in bulk."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import NotFoundError
from lti_pl.domain.ids import parse_id
from lti_pl.domain.profiles import StructureDial
from lti_pl.lti.roles import CourseRole
from lti_pl.services import data_wall, profiles, wall_cells
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/data-wall", endpoint="data_wall")
@requires_role(CourseRole.TEACHER)
def data_wall_page(course_id: int) -> ResponseReturnValue:
    """The heat map, sorted and filtered as the query string asks."""
    args = request.args
    wall = data_wall.build_wall(
        current_enrollment().course,
        sort=args.get("sort", "student"),
        descending=args.get("order") == "desc",
        section=args.get("section", ""),
        status=args.get("status", ""),
        group=args.get("group", ""),
        station=args.get("station", ""),
        page=args.get("page", "1"),
        all_evidence_counts=False,
    )
    return render_template(
        "instructor/data_wall/wall.html",
        course_id=course_id,
        wall=wall,
        statuses=list(wall_cells.CellStatus),
        dials=list(StructureDial),
        bands=data_wall.BAND_LABELS,
    )


@bp.get("/data-wall/students/<int:enrollment_id>/targets/<int:target_id>")
@requires_role(CourseRole.TEACHER)
def data_wall_cell(course_id: int, enrollment_id: int, target_id: int) -> ResponseReturnValue:
    """One cell opened: the evidence history and how the level was worked out."""
    detail = wall_cells.cell_detail(current_enrollment().course, enrollment_id, target_id)
    return render_template("instructor/data_wall/cell.html", course_id=course_id, detail=detail)


@bp.get("/data-wall/cell")
@requires_role(CourseRole.TEACHER)
def data_wall_open_cell(course_id: int) -> ResponseReturnValue:
    """A cell opened from the wall's buttons (`?c=<student id>-<target id>`).

    One small form for thousands of cells: a URL session's token is not repeated in each.
    """
    student, _, target = request.args.get("c", "").partition("-")
    enrollment_id, target_id = parse_id(student), parse_id(target)
    if enrollment_id is None or target_id is None:
        raise NotFoundError("That cell is not on this data wall.")
    return data_wall_cell(course_id, enrollment_id, target_id)


@bp.post("/data-wall/structure")
@requires_role(CourseRole.TEACHER)
def set_structure(course_id: int) -> ResponseReturnValue:
    """Set the structure dial of the ticked students."""
    ids = [i for v in request.form.getlist("enrollment_ids") if (i := parse_id(v)) is not None]
    students = profiles.set_structure(current_enrollment(), ids, request.form.get("structure", ""))
    flash(f"Structure changed for {len(students)} student{'s' if len(students) != 1 else ''}.")
    return redirect(url_for("instructor.data_wall", course_id=course_id), 303)
