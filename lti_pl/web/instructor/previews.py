"""Preview — what a student sees: a board or a target drawn for a chosen or a sample student.

Read-only: the student's page is drawn with `preview` set, which turns its forms into disabled
controls (nothing posts), under a banner naming whose screen it is.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import previews, reassessment, recommendations
from lti_pl.services.courses import course_scale
from lti_pl.services.markdown import render_markdown
from lti_pl.services.uploads import ALLOWED_EXTENSIONS
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/boards/<int:board_id>/preview")
@requires_role(CourseRole.TEACHER)
def board_preview(course_id: int, board_id: int) -> ResponseReturnValue:
    """A choice board as the chosen student (or a sample student) sees it."""
    actor = current_enrollment()
    who = previews.preview_student(actor, request.args.get("student", ""))
    ranked = recommendations.preview_board(actor, board_id, who.student)
    return render_template(
        "instructor/preview/board.html",
        course_id=course_id,
        course=actor.course,
        ranked=ranked,
        who=who,
        preview=True,
        instructions=ranked.instructions,
        render_markdown=render_markdown,
    )


@bp.get("/targets/<int:target_id>/preview")
@requires_role(CourseRole.TEACHER)
def target_preview(course_id: int, target_id: int) -> ResponseReturnValue:
    """A learning target's page as the chosen student (or a sample student) sees it."""
    actor = current_enrollment()
    who = previews.preview_student(actor, request.args.get("student", ""))
    return render_template(
        "instructor/preview/target.html",
        course=actor.course,
        item=reassessment.target_progress(who.student, target_id, now=utcnow()),
        scale=course_scale(actor.course),
        extensions=sorted(ALLOWED_EXTENSIONS),
        max_mb=current_app.config["LTI_PL_MAX_UPLOAD_BYTES"] / 1024 / 1024,
        values=None,
        error=None,
        refusal=None,
        who=who,
        preview=True,
    )
