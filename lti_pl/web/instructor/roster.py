"""The course roster as the LMS reports it (NRPS), with the last sync and a "Sync now" button."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from lti_pl.jobs.hooks import after_commit
from lti_pl.jobs.roster_sync import sync_roster
from lti_pl.lti.roles import CourseRole
from lti_pl.services import rosters
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/roster")
@requires_role(CourseRole.TEACHER)
def roster(course_id: int) -> ResponseReturnValue:
    """Everyone in the course, with their status, and when the roster was last synced."""
    course = current_enrollment().course
    return render_template(
        "instructor/roster.html", course=course, enrollments=rosters.course_roster(course_id)
    )


@bp.post("/roster/sync")
@requires_role(CourseRole.TEACHER)
def sync_roster_now(course_id: int) -> ResponseReturnValue:
    """Sync the roster in the background now (full list, not only differences)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(lambda: sync_roster(app, course_id, full=True))
    flash("The roster is being synced with the LMS; reload this page in a moment.")
    return redirect(url_for("instructor.roster", course_id=course_id), code=303)
