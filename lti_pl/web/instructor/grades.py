"""The teacher's view of grade sync: per student and column, pending / sent / failed, retry."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from lti_pl.jobs.hooks import wake_after_commit
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import aggregates, audit, grade_sync_status, job_progress, line_items
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp

STATUS_LABELS = {
    "pending": "Waiting to send",
    "sending": "Sending",
    "sent": "Sent",
    "failed": "Failed",
}


@bp.get("/grades")
@requires_role(CourseRole.TEACHER)
def grades_sync(course_id: int) -> ResponseReturnValue:
    """Per-student sync status of every gradebook column the tool writes to."""
    enrollment = current_enrollment()
    rows = grade_sync_status.sync_status(course_id, now=utcnow())
    counts = {status: sum(1 for r in rows if r.entry.status == status) for status in STATUS_LABELS}
    counts["stuck"] = sum(1 for r in rows if r.stuck)
    return render_template(
        "instructor/grades.html",
        course=enrollment.course,
        rows=rows,
        counts=counts,
        labels=STATUS_LABELS,
        line_items=line_items.aggregate_line_items(course_id)
        + line_items.target_line_items(course_id),
        aggregate_mode=aggregates.aggregate_mode(enrollment.course),
        aggregate_labels=aggregates.MODE_LABELS,
        progress=job_progress.latest(course_id, job_progress.GRADE_PASSBACK),
    )


@bp.post("/grades/<int:entry_id>/retry")
@requires_role(CourseRole.TEACHER)
def retry_grade(course_id: int, entry_id: int) -> ResponseReturnValue:
    """Send one failed score again."""
    audit.retry_failed(current_enrollment(), now=utcnow(), entry_id=entry_id)
    wake_after_commit(course_id)
    flash("The score will be sent again in a moment.")
    return redirect(url_for("instructor.grades_sync", course_id=course_id), code=303)


@bp.post("/grades/retry-all")
@requires_role(CourseRole.TEACHER)
def retry_all_grades(course_id: int) -> ResponseReturnValue:
    """Send every failed score of the course again."""
    count = audit.retry_failed(current_enrollment(), now=utcnow())
    if count:
        job_progress.start(course_id, job_progress.GRADE_PASSBACK, now=utcnow(), total=count)
    wake_after_commit(course_id)
    flash(f"{count} failed or stuck score(s) are being sent again: the progress is shown below.")
    return redirect(url_for("instructor.grades_sync", course_id=course_id), code=303)
