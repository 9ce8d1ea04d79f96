"""Student pages for learning targets: my level, evidence, "I'm ready", relearning."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError, NotAllowedError
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import evidence as service
from lti_pl.services import reassessment
from lti_pl.services.courses import course_scale
from lti_pl.services.uploads import ALLOWED_EXTENSIONS, IncomingFile
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.student import bp


@bp.get("/targets")
@requires_role(CourseRole.STUDENT)
def targets(course_id: int) -> ResponseReturnValue:
    """Every target with my level, what to relearn and my evidence."""
    student = current_enrollment()
    return render_template(
        "student/targets/index.html",
        course=student.course,
        progress=reassessment.student_progress(student, now=utcnow()),
        scale=course_scale(student.course),
    )


def _target_page(
    target_id: int, error: InvalidInputError | None = None, refusal: str | None = None
) -> ResponseReturnValue:
    student = current_enrollment()
    status = 422 if error else (403 if refusal else 200)
    return render_template(
        "student/targets/show.html",
        course=student.course,
        item=reassessment.target_progress(student, target_id, now=utcnow()),
        scale=course_scale(student.course),
        extensions=sorted(ALLOWED_EXTENSIONS),
        max_mb=current_app.config["LTI_PL_MAX_UPLOAD_BYTES"] / 1024 / 1024,
        values=request.form if request.method == "POST" else None,
        error=error,
        refusal=refusal,
    ), status


@bp.get("/targets/<int:target_id>")
@requires_role(CourseRole.STUDENT)
def target(course_id: int, target_id: int) -> ResponseReturnValue:
    """One target: my level, feedback, evidence and the forms."""
    return _target_page(target_id)


@bp.post("/targets/<int:target_id>/evidence")
@requires_role(CourseRole.STUDENT)
def submit_evidence(course_id: int, target_id: int) -> ResponseReturnValue:
    """Submit evidence; with ready=1 also say "I'm ready to be assessed"."""
    student = current_enrollment()
    upload = request.files.get("file")
    now = utcnow()
    try:
        service.submit_evidence(
            student,
            target_id,
            kind=request.form.get("kind", "text"),
            text=request.form.get("text", ""),
            url=request.form.get("url", ""),
            upload=IncomingFile(upload.filename or "", upload.stream) if upload else None,
            limits=service.UploadLimits(
                folder=current_app.config["LTI_PL_UPLOAD_FOLDER"],
                max_bytes=current_app.config["LTI_PL_MAX_UPLOAD_BYTES"],
                student_quota_bytes=current_app.config.get("LTI_PL_STUDENT_QUOTA_BYTES", 0),
                course_quota_bytes=current_app.config.get("LTI_PL_COURSE_QUOTA_BYTES", 0),
            ),
            now=now,
        )
    except InvalidInputError as error:
        return _target_page(target_id, error)
    message = "Evidence submitted."
    if request.form.get("ready") == "1":
        try:
            service.request_reassessment(student, target_id, request.form.get("note", ""), now=now)
            message += " Your teacher will see that you are ready to be assessed."
        except NotAllowedError as refusal:
            message += f" Not sent as ready: {refusal}"
    flash(message)
    return redirect(url_for("student.target", course_id=course_id, target_id=target_id), 303)


@bp.post("/targets/<int:target_id>/ready")
@requires_role(CourseRole.STUDENT)
def request_reassessment(course_id: int, target_id: int) -> ResponseReturnValue:
    """Say "I'm ready to be assessed" (or ask for a reassessment)."""
    try:
        service.request_reassessment(
            current_enrollment(), target_id, request.form.get("note", ""), now=utcnow()
        )
    except NotAllowedError as refusal:
        return _target_page(target_id, refusal=str(refusal))
    except InvalidInputError as error:
        return _target_page(target_id, error)
    flash("Your teacher will see that you are ready to be assessed.")
    return redirect(url_for("student.target", course_id=course_id, target_id=target_id), 303)


@bp.post("/targets/<int:target_id>/relearning")
@requires_role(CourseRole.STUDENT)
def log_relearning(course_id: int, target_id: int) -> ResponseReturnValue:
    """Log a reflection on what I relearned."""
    try:
        service.log_reflection(
            current_enrollment(), target_id, request.form.get("reflection", ""), now=utcnow()
        )
    except InvalidInputError as error:
        return _target_page(target_id, error)
    flash("Relearning logged.")
    return redirect(url_for("student.target", course_id=course_id, target_id=target_id), 303)
