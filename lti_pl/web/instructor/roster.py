"""The course roster as the LMS reports it (NRPS), with the last sync and a "Sync now" button."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.search import MAX_QUERY_LENGTH
from lti_pl.jobs.hooks import after_commit
from lti_pl.jobs.roster_sync import sync_roster
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import job_progress, rosters
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp


@bp.get("/roster")
@requires_role(CourseRole.TEACHER)
def roster(course_id: int) -> ResponseReturnValue:
    """Everyone in the course (or those a search finds), their status, and the last sync."""
    course = current_enrollment().course
    query, role = request.args.get("q", ""), request.args.get("role", "")
    return render_template(
        "instructor/roster.html",
        course=course,
        roster=rosters.find_on_roster(course_id, query, role),
        query=query[:MAX_QUERY_LENGTH],
        role=role,
        progress=job_progress.latest(course_id, job_progress.ROSTER_SYNC),
    )


@bp.post("/roster/sync")
@requires_role(CourseRole.TEACHER)
def sync_roster_now(course_id: int) -> ResponseReturnValue:
    """Sync the roster in the background now (full list, not only differences)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    progress_id = job_progress.start(course_id, job_progress.ROSTER_SYNC, now=utcnow()).id
    after_commit(lambda: sync_roster(app, course_id, full=True, progress_id=progress_id))
    flash("The roster sync has started: its progress is shown below.")
    return redirect(url_for("instructor.roster", course_id=course_id), code=303)


@bp.get("/jobs/<int:progress_id>.json")
@requires_role(CourseRole.TEACHER)
def job_progress_json(course_id: int, progress_id: int) -> ResponseReturnValue:
    """How far a long job of this course got (polled by static/progress.js)."""
    view = job_progress.progress_of(course_id, progress_id)
    return view.as_json(), 200, {"Cache-Control": "no-store"}
