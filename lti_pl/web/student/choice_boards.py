"""Students open their choice boards, ranked for them, and move activities along."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import board_activities, board_progress, choice_boards, recommendations
from lti_pl.services.markdown import render_markdown
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.downloads import send_attachment
from lti_pl.web.student import bp


@bp.get("/boards")
@requires_role(CourseRole.STUDENT)
def boards(course_id: int) -> ResponseReturnValue:
    """The published boards of the course."""
    return render_template(
        "student/choice_boards/list.html",
        course_id=course_id,
        boards=board_progress.published_boards(course_id),
    )


@bp.get("/boards/<int:board_id>")
@requires_role(CourseRole.STUDENT)
def board(course_id: int, board_id: int) -> ResponseReturnValue:
    """A board in the student's order, each activity with why it is suggested."""
    ranked = recommendations.student_board(current_enrollment(), board_id)
    return render_template(
        "student/choice_boards/board.html",
        course_id=course_id,
        ranked=ranked,
        instructions=ranked.instructions,
        render_markdown=render_markdown,
    )


@bp.post("/activities/<int:activity_id>/status")
@requires_role(CourseRole.STUDENT)
def activity_status(course_id: int, activity_id: int) -> ResponseReturnValue:
    """Start, finish or reopen an activity, with an optional reflection."""
    student = current_enrollment()
    row = board_progress.change_status(
        student,
        activity_id,
        request.form.get("status", ""),
        request.form.get("reflection", ""),
        now=utcnow(),
        is_locked=recommendations.is_locked_for(student, activity_id),
    )
    flash("Marked done. Nice work!" if row.status == "done" else "Activity updated.")
    board_id = choice_boards.board_of(activity_id)
    return redirect(
        url_for("student.board", course_id=course_id, board_id=board_id)
        + f"#activity-{activity_id}",
        303,
    )


@bp.get("/activities/<int:activity_id>/file")
@requires_role(CourseRole.STUDENT, CourseRole.OBSERVER, CourseRole.TEACHER)
def activity_file(course_id: int, activity_id: int) -> ResponseReturnValue:
    """Download an activity's file (an attachment with its stored type)."""
    actor = current_enrollment()
    found = board_activities.activity_file(
        actor,
        activity_id,
        current_app.config["LTI_PL_UPLOAD_FOLDER"],
        is_locked=actor.role == CourseRole.STUDENT.value
        and recommendations.is_locked_for(actor, activity_id),
    )
    return send_attachment(found)
