"""Teacher pages for evidence: the assessment queue, scoring, the quick grid, file downloads."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import parse_id
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.models.courses import Enrollment
from lti_pl.models.targets import LearningTarget
from lti_pl.services import descriptors, mastery, reassessment, relearning
from lti_pl.services import evidence as service
from lti_pl.services.courses import course_scale
from lti_pl.services.enrollments import course_students, student_in_course
from lti_pl.services.targets import list_targets
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.downloads import send_attachment, send_inline
from lti_pl.web.errors import form_page
from lti_pl.web.instructor import bp


def serve_evidence_file(evidence_id: int, *, inline: bool = False) -> ResponseReturnValue:
    """Send an evidence file as a download with its stored type (never rendered as a page).

    With `inline`, an image, video or recording is sent to show in the page (404 otherwise).
    """
    found = service.evidence_file(
        current_enrollment(), evidence_id, current_app.config["LTI_PL_UPLOAD_FOLDER"]
    )
    return send_inline(found) if inline else send_attachment(found)


@bp.get("/assess")
@requires_role(CourseRole.TEACHER)
def assess_queue(course_id: int) -> ResponseReturnValue:
    """Students who said they are ready to be assessed, oldest first."""
    actor = current_enrollment()
    return render_template(
        "instructor/evidence/queue.html",
        course=actor.course,
        requests=reassessment.assessment_queue(actor),
    )


def _assess_page(request_id: int, error: InvalidInputError | None = None) -> ResponseReturnValue:
    actor = current_enrollment()
    ready = reassessment.get_request(actor, request_id)
    return form_page(
        "instructor/evidence/assess.html",
        error,
        course=actor.course,
        ready=ready,
        scale=course_scale(actor.course),
        evidence=reassessment.evidence_for(ready.enrollment_id, ready.target_id),
        assessments=reassessment.assessments_for(ready.enrollment_id, ready.target_id),
        record=mastery.records_for(ready.enrollment_id).get(ready.target_id),
        relearning=relearning.for_target(
            ready.enrollment_id,
            ready.target_id,
            reassessment.last_assessed_at(ready.enrollment_id, ready.target_id),
        ),
        levels=descriptors.described_levels(ready.target_id, course_scale(actor.course)),
    )


@bp.get("/assess/<int:request_id>")
@requires_role(CourseRole.TEACHER)
def assess_request(course_id: int, request_id: int) -> ResponseReturnValue:
    """A student's evidence on one target, and the form to score it."""
    return _assess_page(request_id)


@bp.post("/assess/<int:request_id>")
@requires_role(CourseRole.TEACHER)
def save_assessment(course_id: int, request_id: int) -> ResponseReturnValue:
    """Score the evidence (or decline the request with action=decline)."""
    actor = current_enrollment()
    ready = reassessment.get_request(actor, request_id)
    if request.form.get("action") == "decline":
        reassessment.decline_request(actor, request_id, now=utcnow())
        flash("Request declined.")
        return redirect(url_for("instructor.assess_queue", course_id=course_id), 303)
    try:
        service.assess(
            actor,
            ready.enrollment_id,
            ready.target_id,
            score=request.form.get("score", ""),
            comment=request.form.get("comment", ""),
            rubric_notes=request.form.get("rubric_notes", ""),
            evidence_id=parse_id(request.form.get("evidence_id", "")),
            now=utcnow(),
        )
    except InvalidInputError as error:
        return _assess_page(request_id, error)
    flash("Assessment saved; mastery updated.")
    return redirect(url_for("instructor.assess_queue", course_id=course_id), 303)


@bp.get("/quick-grid")
@requires_role(CourseRole.TEACHER)
def quick_grid(course_id: int) -> ResponseReturnValue:
    """Students × targets score inputs, saved with one POST."""
    actor = current_enrollment()
    return _grid_page(actor, None)


@bp.get("/quick-grid/student")
@requires_role(CourseRole.TEACHER)
def quick_grid_student(course_id: int) -> ResponseReturnValue:
    """The quick grid one student at a time (a phone): their targets, one under the other."""
    actor = current_enrollment()
    return _student_page(actor, _student_id(), None)


#: The one-student page carries its comment on to the next student (in the link, so cut short).
CARRIED_COMMENT = 200


def _scores(count: int) -> str:
    return f"{count} score" if count == 1 else f"{count} scores"


def _student_id() -> int | None:
    text = request.values.get("student", "")
    student_id = parse_id(text)
    if text and student_id is None:
        raise InvalidInputError("Choose a student from the list.", field="student")
    return student_id


#: Fields on one grid page at most; past it, the teacher chooses the targets first. A class of 30
#: with 40 targets fits; 300 students × 40 targets were 12,000 fields, 2.4 MB and seconds for the
#: browser to draw, to score one exit ticket.
MAX_GRID_CELLS = 2000


def _grid_targets(
    actor: Enrollment,
) -> tuple[list[LearningTarget], list[LearningTarget], list[int]]:
    """The course's targets, the grid's, and the ids chosen (empty: all), which links carry on.

    The grid's are those it was opened for (`?target=…`), else all of them.
    """
    selected = request.values.getlist("target")
    targets = list_targets(actor.course_id)
    if not selected:
        return targets, targets, []
    chosen = [t for t in targets if str(t.id) in selected]
    return targets, chosen, [t.id for t in chosen]


def _grid_page(actor: Enrollment, error: InvalidInputError | None) -> ResponseReturnValue:
    every, targets, selected = _grid_targets(actor)
    students = course_students(actor.course_id)
    choose_first = not selected and len(students) * len(targets) > MAX_GRID_CELLS
    return form_page(
        "instructor/evidence/quick_grid.html",
        error,
        course=actor.course,
        students=students,
        targets=[] if choose_first else targets,
        every_target=every,
        selected=selected,
        choose_first=choose_first,
        fields=len(students) * len(targets),
        scale=course_scale(actor.course),
    )


def _student_page(
    actor: Enrollment, student_id: int | None, error: InvalidInputError | None
) -> ResponseReturnValue:
    _, targets, selected = _grid_targets(actor)
    return form_page(
        "instructor/evidence/quick_grid_student.html",
        error,
        course=actor.course,
        row=service.quick_grid_row(actor, student_id),
        targets=targets,
        selected=selected,
        scale=course_scale(actor.course),
        comment=request.args.get("comment", "")[:CARRIED_COMMENT],
    )


@bp.post("/quick-grid")
@requires_role(CourseRole.TEACHER)
def save_quick_grid(course_id: int) -> ResponseReturnValue:
    """Save every filled cell as an assessment; nothing is saved if one is invalid.

    From the one-student page (`student` posted), it then opens the student in `then`
    (the next one) or this student again.
    """
    actor = current_enrollment()
    one_student = _student_id() if "student" in request.form else None
    cells: dict[tuple[int, int], str] = {}
    for key, value in request.form.items():
        parts = key.split("_")
        if len(parts) != 3 or parts[0] != "score":
            continue
        student_id, target_id = parse_id(parts[1]), parse_id(parts[2])
        if student_id is not None and target_id is not None:
            cells[(student_id, target_id)] = value
    try:
        saved = service.save_quick_grid(actor, cells, request.form.get("comment", ""), now=utcnow())
    except InvalidInputError as error:
        if one_student is not None:
            return _student_page(actor, one_student, error)
        return _grid_page(actor, error)
    selected = request.form.getlist("target")
    if one_student is None:
        flash(f"Saved {_scores(saved)}.")
        return redirect(url_for("instructor.quick_grid", course_id=course_id, target=selected), 303)
    student = student_in_course(actor.course_id, one_student)
    name = student.person.display_name
    flash(f"Saved {_scores(saved)} for {name}." if saved else f"No scores typed for {name}.")
    then = parse_id(request.form.get("then", "")) or one_student
    comment = request.form.get("comment", "")[:CARRIED_COMMENT]
    return redirect(
        url_for(
            "instructor.quick_grid_student",
            course_id=course_id,
            student=then,
            target=selected,
            **({"comment": comment} if comment else {}),
        ),
        303,
    )


@bp.get("/evidence/<int:evidence_id>/file")
@requires_role(CourseRole.TEACHER)
def evidence_download(course_id: int, evidence_id: int) -> ResponseReturnValue:
    """Download a student's evidence file."""
    return serve_evidence_file(evidence_id)


@bp.get("/evidence/<int:evidence_id>/inline")
@requires_role(CourseRole.TEACHER)
def evidence_inline(course_id: int, evidence_id: int) -> ResponseReturnValue:
    """A student's image, video or recording, to show in the page (downloads.INLINE_TYPES)."""
    return serve_evidence_file(evidence_id, inline=True)
