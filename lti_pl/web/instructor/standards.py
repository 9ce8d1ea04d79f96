"""Teacher pages for CASE standards: import, browse and pick, platform settings, programme view.

Also the read-only hooks other pages include (readiness in the assessment queue, prior levels in
the student report, a student's standards across courses in their binder, "you look ready").
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import parse_id, parse_page
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.models.courses import Course, Enrollment
from lti_pl.services import readiness, standards_import, standards_progress
from lti_pl.services import standards as service
from lti_pl.services.enrollments import course_students
from lti_pl.web.access import current_enrollment, query_student, requires_role
from lti_pl.web.instructor import bp

MAX_UPLOAD_BYTES = standards_import.MAX_PACKAGE_BYTES


def _index(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    actor = current_enrollment()
    issuer = standards_progress.course_issuer(actor.course)
    return render_template(
        "instructor/standards/index.html",
        course=actor.course,
        frameworks=service.list_frameworks(issuer),
        is_admin=standards_progress.is_platform_admin(actor),
        can_see_programme=standards_progress.can_see_programme(actor),
        settings=standards_progress.settings_for(issuer),
        error=error,
        url_value=request.form.get("url", "") if request.method == "POST" else "",
    ), status


@bp.get("/standards")
@requires_role(CourseRole.TEACHER)
def standards_index(course_id: int) -> ResponseReturnValue:
    """The platform's frameworks, and the forms to import one."""
    return _index()


@bp.post("/standards/import")
@requires_role(CourseRole.TEACHER)
def import_standards(course_id: int) -> ResponseReturnValue:
    """Import a CFPackage file or every framework at a CASE provider URL (all or nothing)."""
    actor = current_enrollment()
    issuer = standards_progress.course_issuer(actor.course)
    upload = request.files.get("file")
    url = request.form.get("url", "").strip()
    try:
        if upload is not None and upload.filename:
            raw = upload.stream.read(MAX_UPLOAD_BYTES + 1)
            results = standards_import.import_data(
                issuer,
                standards_import.parse_json(raw, upload.filename[:200]),
                source=upload.filename[:200],
                now=utcnow(),
            )
        elif url:
            results = standards_import.import_from_provider(
                issuer,
                url,
                now=utcnow(),
                policy=standards_import.provider_policy(current_app.config),
            )
        else:
            raise InvalidInputError("Choose a CASE package file or give a CASE provider address.")
    except InvalidInputError as error:
        return _index(str(error), 422)
    for result in results:
        verb = "Imported" if result.is_new else "Updated"
        flash(
            f"{verb} \u201c{result.framework.title}\u201d: {result.created} new, "
            f"{result.updated} changed, {result.retired} retired."
        )
    if len(results) == 1:
        return redirect(
            url_for(
                "instructor.browse_standards",
                course_id=course_id,
                framework_id=results[0].framework.id,
            ),
            303,
        )
    return redirect(url_for("instructor.standards_index", course_id=course_id), 303)


def _browse(framework_id: int, error: str | None = None) -> ResponseReturnValue:
    actor = current_enrollment()
    query = request.values.get("q", "")
    grade = request.values.get("grade", "")
    return render_template(
        "instructor/standards/browse.html",
        course=actor.course,
        view=service.browse(actor.course, framework_id, query, grade),
        q=query,
        grade=grade,
        error=error,
    ), (422 if error else 200)


@bp.get("/standards/<int:framework_id>")
@requires_role(CourseRole.TEACHER)
def browse_standards(course_id: int, framework_id: int) -> ResponseReturnValue:
    """A framework's tree, searchable by code and text and filtered by grade, to pick from."""
    return _browse(framework_id)


@bp.post("/standards/<int:framework_id>/targets")
@requires_role(CourseRole.TEACHER)
def create_targets_from_standards(course_id: int, framework_id: int) -> ResponseReturnValue:
    """Create a learning target for each ticked standard, linked to its CASE identifier."""
    actor = current_enrollment()
    service.get_framework(actor.course, framework_id)
    try:
        ids = [parse_id(value) for value in request.form.getlist("item")]
        if None in ids:
            raise InvalidInputError("A picked standard is not valid; reload the page.")
        created, skipped = service.create_targets(
            actor,
            [i for i in ids if i is not None],
            unit=request.form.get("unit", ""),
            now=utcnow(),
        )
    except InvalidInputError as error:
        return _browse(framework_id, str(error))
    message = f"Added {len(created)} learning target{'s' if len(created) != 1 else ''}"
    if skipped:
        message += f"; {skipped} already were targets of this course"
    flash(message + ".")
    return redirect(url_for("instructor.targets", course_id=course_id), 303)


@bp.get("/standards/platform")
@requires_role(CourseRole.TEACHER)
def standards_platform_settings(course_id: int) -> ResponseReturnValue:
    """The platform's standards settings (LTI Administrators change them)."""
    return _settings_page()


def _settings_page(error: InvalidInputError | None = None) -> ResponseReturnValue:
    actor = current_enrollment()
    return render_template(
        "instructor/standards/platform.html",
        course=actor.course,
        settings=standards_progress.settings_for(standards_progress.course_issuer(actor.course)),
        is_admin=standards_progress.is_platform_admin(actor),
        error=error,
    ), (422 if error else 200)


@bp.post("/standards/platform")
@requires_role(CourseRole.TEACHER)
def save_standards_platform_settings(course_id: int) -> ResponseReturnValue:
    """Save the platform's standards settings."""
    try:
        service.save_settings(
            current_enrollment(),
            share_prior_levels=request.form.get("share_prior_levels") == "1",
            programme_roles=request.form.get("programme_roles", "")[:2000],
            now=utcnow(),
        )
    except InvalidInputError as error:
        return _settings_page(error)
    flash("Standards settings saved for every course of this LMS.")
    return redirect(url_for("instructor.standards_platform_settings", course_id=course_id), 303)


@bp.get("/standards/programme")
@requires_role(CourseRole.TEACHER)
def standards_programme(course_id: int) -> ResponseReturnValue:
    """Standards × students across the platform's courses."""
    actor = current_enrollment()
    return render_template(
        "instructor/standards/programme.html",
        course=actor.course,
        view=standards_progress.programme(actor),
    )


@bp.get("/standards/programme.csv")
@requires_role(CourseRole.TEACHER)
def standards_programme_csv(course_id: int) -> ResponseReturnValue:
    """The programme view as CSV."""
    body = standards_progress.programme_csv(standards_progress.programme(current_enrollment()))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="programme-standards.csv"'},
    )


@bp.get("/standards/readiness")
@requires_role(CourseRole.TEACHER)
def standards_readiness(course_id: int) -> ResponseReturnValue:
    """Every student's chance to show mastery at their next assessment, per target.

    A page at a time, most likely first (`?page=`), for the course or one student (`?student=`).
    """
    actor = current_enrollment()
    student = query_student(actor)
    return render_template(
        "instructor/standards/readiness.html",
        course=actor.course,
        table=readiness.readiness_page(
            actor.course,
            page=parse_page(request.args.get("page", "")),
            student_id=student.id if student else None,
        ),
        student=student,
        students=course_students(actor.course_id),
        threshold=readiness.READY_PROBABILITY,
    )


# --- hooks for other pages' templates (read-only; the including view checked access) ----------


@bp.app_template_global("standards_ready_students")
def _ready_students(course: Course) -> readiness.ReadinessPage:
    return readiness.ready_students(course)


@bp.app_template_global("standards_prior_levels")
def _prior_levels(student: Enrollment) -> dict[int, Any]:
    return standards_progress.prior_levels(student)


@bp.app_template_global("standards_wall_prior_levels")
def _wall_prior_levels(
    wall: Any, course_id: int
) -> dict[tuple[int, int], standards_progress.PriorLevel]:
    """The data wall page's students' prior levels from earlier courses (one query).

    `course_id` is the wall's own course, whose teacher the view has checked.
    """
    return standards_progress.course_prior_levels_by_id(
        course_id, [row.enrollment_id for row in wall.page_rows], wall.targets
    )


@bp.app_template_global("standards_history")
def _history(student: Enrollment) -> list[standards_progress.StandardHistory]:
    return standards_progress.student_history(student)


@bp.app_template_global("standards_you_look_ready")
def _you_look_ready(target_id: int) -> readiness.Readiness | None:
    student = current_enrollment()  # the student's own page: their own readiness only
    if CourseRole(student.role) is not CourseRole.STUDENT:
        return None
    found = readiness.student_readiness(student, target_id)
    return found if found is not None and found.is_ready else None
