"""Teacher pages for learning targets: list, create, edit, reorder, archive, CSV."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.mastery import CALCULATION_METHODS
from lti_pl.jobs.hooks import after_commit
from lti_pl.jobs.target_import import run_target_import
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import job_progress, target_imports
from lti_pl.services import targets as service
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.errors import form_page
from lti_pl.web.instructor import bp

MAX_CSV_BYTES = 1024 * 1024


def _fields() -> service.TargetFields:
    method = request.form.get("calculation_method", "").strip()
    params = {
        parameter.name: request.form.get(f"param_{method}_{parameter.name}", "")
        for parameter in (
            CALCULATION_METHODS[method].parameters if method in CALCULATION_METHODS else ()
        )
    }
    return service.TargetFields(
        statement=request.form.get("statement", ""),
        unit=request.form.get("unit", ""),
        standard_code=request.form.get("standard_code", ""),
        case_guid=request.form.get("case_guid", ""),
        calculation_method=method,
        method_params=params,
        description=request.form.get("description", ""),
    )


def _form(target: object | None, error: InvalidInputError | None = None) -> ResponseReturnValue:
    enrollment = current_enrollment()
    course_method = CALCULATION_METHODS.get(enrollment.course.calculation_method)
    return form_page(
        "instructor/targets/form.html",
        error,
        course=enrollment.course,
        course_method_label=course_method.label if course_method else "",
        target=target,
        methods=CALCULATION_METHODS,
    )


@bp.get("/targets")
@requires_role(CourseRole.TEACHER)
def targets(course_id: int) -> ResponseReturnValue:
    """The course's targets, in order, with archived ones below, and the import's progress."""
    return _index(course_id)


def _import_progress(course_id: int) -> job_progress.ProgressView | None:
    """The import named by ?job= (just started or just ended), else one still running."""
    job = request.args.get("job", type=int)
    if job is not None:
        try:
            view = job_progress.progress_of(course_id, job)
        except NotFoundError:
            view = None
        if view is not None and view.kind == job_progress.TARGET_IMPORT:
            return view
    latest = job_progress.latest(course_id, job_progress.TARGET_IMPORT)
    return latest if latest is not None and not latest.finished else None


def _index(course_id: int, import_error: str | None = None) -> str:
    return render_template(
        "instructor/targets/index.html",
        course=current_enrollment().course,
        targets=service.list_targets(course_id, include_archived=True),
        import_error=import_error,
        import_progress=None if import_error else _import_progress(course_id),
        methods=CALCULATION_METHODS,
    )


@bp.get("/targets/new")
@requires_role(CourseRole.TEACHER)
def new_target(course_id: int) -> ResponseReturnValue:
    """The form for a new target."""
    return _form(None)


@bp.post("/targets")
@requires_role(CourseRole.TEACHER)
def create_target(course_id: int) -> ResponseReturnValue:
    """Add a target."""
    try:
        target = service.create_target(current_enrollment(), _fields(), now=utcnow())
    except InvalidInputError as error:
        return _form(None, error)
    flash(f"Added \u201c{target.statement}\u201d.")
    if request.form.get("next") == "deep-link" and _deep_link_pending(course_id):
        # Created from the deep-linking picker: back to it, so the new target can be linked.
        return redirect(url_for("instructor.deep_link_picker", course_id=course_id), 303)
    return redirect(url_for("instructor.targets", course_id=course_id), 303)


def _deep_link_pending(course_id: int) -> bool:
    pending = session.get("deep_link")
    return isinstance(pending, dict) and pending.get("course_id") == course_id


@bp.get("/targets/<int:target_id>/edit")
@requires_role(CourseRole.TEACHER)
def edit_target(course_id: int, target_id: int) -> ResponseReturnValue:
    """The form to edit a target."""
    return _form(service.target_in_course(current_enrollment().course_id, target_id))


@bp.post("/targets/<int:target_id>")
@requires_role(CourseRole.TEACHER)
def update_target(course_id: int, target_id: int) -> ResponseReturnValue:
    """Save a target's changes."""
    actor = current_enrollment()
    target = service.target_in_course(actor.course_id, target_id)
    try:
        service.update_target(actor, target_id, _fields(), now=utcnow())
    except InvalidInputError as error:
        return _form(target, error)
    flash("Target saved.")
    return redirect(url_for("instructor.targets", course_id=course_id), 303)


@bp.post("/targets/<int:target_id>/move")
@requires_role(CourseRole.TEACHER)
def move_target(course_id: int, target_id: int) -> ResponseReturnValue:
    """Move a target up or down (buttons, so the keyboard can do it)."""
    direction = request.form.get("direction", "")
    target = service.move_target(current_enrollment(), target_id, direction)
    flash(f"Moved \u201c{target.statement}\u201d {direction}.")
    return redirect(
        url_for("instructor.targets", course_id=course_id) + f"#target-{target_id}", 303
    )


@bp.post("/targets/<int:target_id>/archive")
@requires_role(CourseRole.TEACHER)
def archive_target(course_id: int, target_id: int) -> ResponseReturnValue:
    """Archive a target, or restore it with archived=0."""
    is_archived = request.form.get("archived", "1") != "0"
    target = service.set_archived(current_enrollment(), target_id, is_archived, now=utcnow())
    flash(f"{'Archived' if is_archived else 'Restored'} \u201c{target.statement}\u201d.")
    return redirect(url_for("instructor.targets", course_id=course_id), 303)


@bp.get("/targets.csv")
@requires_role(CourseRole.TEACHER)
def export_targets(course_id: int) -> ResponseReturnValue:
    """Download the targets as CSV."""
    body = service.export_csv(current_enrollment().course_id)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="learning-targets.csv"'},
    )


@bp.post("/targets/import")
@requires_role(CourseRole.TEACHER)
def import_targets(course_id: int) -> ResponseReturnValue:
    """Add targets from an uploaded CSV; nothing changes if any row is invalid."""
    actor = current_enrollment()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInputError("Choose a CSV file to import.", field="file")
        raw = upload.stream.read(MAX_CSV_BYTES + 1)
        if len(raw) > MAX_CSV_BYTES:
            raise InvalidInputError("That CSV file is larger than 1 MB.", field="file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError("Save the CSV as UTF-8 and try again.", field="file") from None
        stored = target_imports.queue(actor, text, now=utcnow())
    except InvalidInputError as error:
        return _index(course_id, import_error=str(error)), 422
    import_id = stored.id
    after_commit(lambda: run_target_import(import_id))
    flash("The import has started: its progress is shown below.")
    return redirect(
        url_for("instructor.targets", course_id=course_id, job=stored.progress_id) + "#import",
        303,
    )
