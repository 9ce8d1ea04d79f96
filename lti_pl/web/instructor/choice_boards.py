"""Teachers build choice boards: settings, activities, order, publishing, copies, assignments."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.choice_boards import BoardLayout, Modality, Readiness, Requirement, StationType
from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import page_count, parse_id, parse_page
from lti_pl.domain.profiles import StructureDial
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import board_activities, board_progress, choice_boards, recommendations
from lti_pl.services.enrollments import course_students
from lti_pl.services.profiles import dial_for
from lti_pl.services.targets import list_targets
from lti_pl.services.uploads import ALLOWED_EXTENSIONS, IncomingFile, UploadLimits
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp

CHOICES = {
    "layouts": [
        (BoardLayout.MENU.value, "Menu list"),
        (BoardLayout.TIC_TAC_TOE.value, "Tic-tac-toe (3×3)"),
    ],
    "modalities": [(m.value, m.value.capitalize()) for m in Modality],
    "readiness": [
        (Readiness.RETEACH.value, "Reteach"),
        (Readiness.PRACTICE.value, "Practice"),
        (Readiness.EXTENSION.value, "Extension"),
    ],
    "stations": [
        ("", "No station"),
        (StationType.TEACHER_LED.value, "Teacher-led"),
        (StationType.COLLABORATIVE.value, "Collaborative"),
        (StationType.INDEPENDENT.value, "Independent"),
    ],
    "requirements": [(Requirement.MAY_DO.value, "May-do"), (Requirement.MUST_DO.value, "Must-do")],
}


def _board_form() -> choice_boards.BoardInput:
    form = request.form
    return choice_boards.BoardInput(
        title=form.get("title", ""),
        description=form.get("description", ""),
        target_id=form.get("target_id", ""),
        layout=form.get("layout", BoardLayout.MENU.value),
        choose_n=form.get("choose_n", "0"),
    )


def _activity_form() -> board_activities.ActivityInput:
    form = request.form
    return board_activities.ActivityInput(
        title=form.get("title", ""),
        instructions=form.get("instructions", ""),
        link_url=form.get("link_url", ""),
        modality=form.get("modality", ""),
        interests=form.get("interests", ""),
        readiness=form.get("readiness", ""),
        minutes=form.get("minutes", ""),
        station=form.get("station", ""),
        requirement=form.get("requirement", ""),
    )


def _upload() -> IncomingFile | None:
    upload = request.files.get("file")
    return IncomingFile(upload.filename or "", upload.stream) if upload else None


def _limits() -> UploadLimits:
    return UploadLimits(
        folder=current_app.config["LTI_PL_UPLOAD_FOLDER"],
        max_bytes=current_app.config["LTI_PL_MAX_UPLOAD_BYTES"],
    )


@bp.get("/boards")
@requires_role(CourseRole.TEACHER)
def boards(course_id: int) -> ResponseReturnValue:
    """The course's choice boards and a form for a new one."""
    return _render_list(course_id)


def _render_list(course_id: int, error: InvalidInputError | None = None) -> ResponseReturnValue:
    page = render_template(
        "instructor/choice_boards/list.html",
        course_id=course_id,
        boards=choice_boards.list_boards(course_id),
        targets=list_targets(course_id),
        choices=CHOICES,
        error=error,
        form=request.form,
    )
    return (page, 422) if error else page


@bp.post("/boards")
@requires_role(CourseRole.TEACHER)
def create_board(course_id: int) -> ResponseReturnValue:
    """Create a board and open it."""
    try:
        board = choice_boards.create_board(current_enrollment(), _board_form(), now=utcnow())
    except InvalidInputError as error:
        return _render_list(course_id, error)
    flash("Board created. Add activities, then publish it.")
    return redirect(url_for("instructor.board", course_id=course_id, board_id=board.id), 303)


def _render_board(
    course_id: int, board_id: int, error: InvalidInputError | None = None
) -> ResponseReturnValue:
    actor = current_enrollment()
    board = choice_boards.get_board(course_id, board_id)
    page = render_template(
        "instructor/choice_boards/board.html",
        course_id=course_id,
        board=board,
        problems=choice_boards.problems(board),
        targets=list_targets(course_id),
        other_courses=choice_boards.teaching_courses(actor),
        choices=CHOICES,
        error=error,
        form=request.form if error else None,
    )
    return (page, 422) if error else page


@bp.get("/boards/<int:board_id>")
@requires_role(CourseRole.TEACHER)
def board(course_id: int, board_id: int) -> ResponseReturnValue:
    """A board: its settings, activities in order, and what still blocks publishing."""
    return _render_board(course_id, board_id)


@bp.post("/boards/<int:board_id>")
@requires_role(CourseRole.TEACHER)
def update_board(course_id: int, board_id: int) -> ResponseReturnValue:
    """Save a board's settings."""
    try:
        choice_boards.update_board(current_enrollment(), board_id, _board_form(), now=utcnow())
    except InvalidInputError as error:
        return _render_board(course_id, board_id, error)
    flash("Board saved.")
    return redirect(url_for("instructor.board", course_id=course_id, board_id=board_id), 303)


@bp.post("/boards/<int:board_id>/publish")
@requires_role(CourseRole.TEACHER)
def publish_board(course_id: int, board_id: int) -> ResponseReturnValue:
    """Publish the board to students, or take it back to draft."""
    is_published = request.form.get("publish") == "1"
    try:
        choice_boards.set_published(current_enrollment(), board_id, is_published, now=utcnow())
    except InvalidInputError as error:
        return _render_board(course_id, board_id, error)
    flash("Board published: students can see it." if is_published else "Board is a draft again.")
    return redirect(url_for("instructor.board", course_id=course_id, board_id=board_id), 303)


@bp.post("/boards/<int:board_id>/delete")
@requires_role(CourseRole.TEACHER)
def delete_board(course_id: int, board_id: int) -> ResponseReturnValue:
    """Delete the board, its activities and their files, and students' progress on them."""
    if request.form.get("confirm") != "1":
        error = InvalidInputError("Tick the box to confirm the deletion.", field="confirm")
        return _render_board(course_id, board_id, error)
    choice_boards.delete_board(
        current_enrollment(), board_id, upload_folder=current_app.config["LTI_PL_UPLOAD_FOLDER"]
    )
    flash("Board deleted.")
    return redirect(url_for("instructor.boards", course_id=course_id), 303)


@bp.post("/boards/<int:board_id>/duplicate")
@requires_role(CourseRole.TEACHER)
def duplicate_board(course_id: int, board_id: int) -> ResponseReturnValue:
    """Copy the board to another course the teacher teaches (or this one)."""
    to_course_id = parse_id(request.form.get("to_course_id", "")) or course_id
    copy = choice_boards.duplicate_board(current_enrollment(), board_id, to_course_id, now=utcnow())
    flash("Board copied as a draft.")
    if copy.course_id == course_id:
        return redirect(url_for("instructor.board", course_id=course_id, board_id=copy.id), 303)
    return redirect(url_for("instructor.board", course_id=course_id, board_id=board_id), 303)


def _render_activity(
    course_id: int, board_id: int, activity_id: int | None, error: InvalidInputError | None = None
) -> ResponseReturnValue:
    board = choice_boards.get_board(course_id, board_id)
    activity = choice_boards.get_activity(course_id, board_id, activity_id) if activity_id else None
    page = render_template(
        "instructor/choice_boards/activity.html",
        course_id=course_id,
        board=board,
        activity=activity,
        choices=CHOICES,
        extensions=sorted(ALLOWED_EXTENSIONS),
        max_mb=current_app.config["LTI_PL_MAX_UPLOAD_BYTES"] / 1024 / 1024,
        error=error,
        form=request.form if error else None,
    )
    return (page, 422) if error else page


@bp.get("/boards/<int:board_id>/activities/new")
@requires_role(CourseRole.TEACHER)
def new_activity(course_id: int, board_id: int) -> ResponseReturnValue:
    """The form for a new activity."""
    return _render_activity(course_id, board_id, None)


@bp.post("/boards/<int:board_id>/activities")
@requires_role(CourseRole.TEACHER)
def create_activity(course_id: int, board_id: int) -> ResponseReturnValue:
    """Add an activity at the end of the board."""
    return _save_activity(course_id, board_id, None, "Activity added.")


@bp.get("/boards/<int:board_id>/activities/<int:activity_id>")
@requires_role(CourseRole.TEACHER)
def edit_activity(course_id: int, board_id: int, activity_id: int) -> ResponseReturnValue:
    """The form for an existing activity."""
    return _render_activity(course_id, board_id, activity_id)


@bp.post("/boards/<int:board_id>/activities/<int:activity_id>")
@requires_role(CourseRole.TEACHER)
def update_activity(course_id: int, board_id: int, activity_id: int) -> ResponseReturnValue:
    """Save an activity."""
    return _save_activity(course_id, board_id, activity_id, "Activity saved.")


def _save_activity(
    course_id: int, board_id: int, activity_id: int | None, done: str
) -> ResponseReturnValue:
    """Create (activity_id None) or update an activity from the posted form."""
    try:
        board_activities.save_activity(
            current_enrollment(),
            board_id,
            activity_id,
            _activity_form(),
            now=utcnow(),
            upload=_upload(),
            limits=_limits(),
            remove_file=request.form.get("remove_file") == "1",
        )
    except InvalidInputError as error:
        return _render_activity(course_id, board_id, activity_id, error)
    flash(done)
    return redirect(url_for("instructor.board", course_id=course_id, board_id=board_id), 303)


@bp.post("/boards/<int:board_id>/activities/<int:activity_id>/move")
@requires_role(CourseRole.TEACHER)
def move_activity(course_id: int, board_id: int, activity_id: int) -> ResponseReturnValue:
    """Move an activity up or down one place."""
    board_activities.move_activity(
        current_enrollment(), board_id, activity_id, request.form.get("direction", "")
    )
    return redirect(
        url_for("instructor.board", course_id=course_id, board_id=board_id)
        + f"#activity-{activity_id}",
        303,
    )


@bp.post("/boards/<int:board_id>/activities/<int:activity_id>/delete")
@requires_role(CourseRole.TEACHER)
def delete_activity(course_id: int, board_id: int, activity_id: int) -> ResponseReturnValue:
    """Remove an activity."""
    try:
        board_activities.delete_activity(
            current_enrollment(),
            board_id,
            activity_id,
            now=utcnow(),
            upload_folder=current_app.config["LTI_PL_UPLOAD_FOLDER"],
        )
    except InvalidInputError as error:
        return _render_board(course_id, board_id, error)
    flash("Activity removed.")
    return redirect(url_for("instructor.board", course_id=course_id, board_id=board_id), 303)


#: Students on one page of a board's recommendations (300 made a page of 642 kB).
RANKINGS_PAGE = 30


@bp.get("/boards/<int:board_id>/recommendations")
@requires_role(CourseRole.TEACHER)
def board_recommendations(course_id: int, board_id: int) -> ResponseReturnValue:
    """Each student's order of the board, with the reasons."""
    rankings = recommendations.board_rankings(current_enrollment(), board_id)
    board = choice_boards.get_board(course_id, board_id)
    # One student at a time when the teacher picks one (?student=<enrollment id>); an unknown
    # or malformed id shows everyone, RANKINGS_PAGE students a page (?page=).
    picked = request.args.get("student", "")
    shown = [r for r in rankings if str(r.student.id) == picked] or rankings
    pages = page_count(len(shown), RANKINGS_PAGE)
    page = min(parse_page(request.args.get("page", "")), pages)
    return render_template(
        "instructor/choice_boards/recommendations.html",
        course_id=course_id,
        board=board,
        rankings=shown[(page - 1) * RANKINGS_PAGE : page * RANKINGS_PAGE],
        page=page,
        pages=pages,
        students=[r.student for r in rankings],
        picked=picked if len(shown) == 1 and len(rankings) > 1 else "",
    )


@bp.get("/boards/<int:board_id>/assignments")
@requires_role(CourseRole.TEACHER)
def board_assignments(course_id: int, board_id: int) -> ResponseReturnValue:
    """Pick which activities each student is assigned (for students on "assigned").

    Those students only (`?who=everyone` for the whole class): the others see the whole board
    whatever is ticked, and a class of 300 made a page of 3,600 boxes.
    """
    board = choice_boards.get_board(course_id, board_id)
    students = course_students(course_id)
    dials = {s.id: dial_for(s) for s in students}
    on_assigned = [s for s in students if dials[s.id] is StructureDial.ASSIGNED]
    everyone = request.args.get("who") == "everyone"
    return render_template(
        "instructor/choice_boards/assignments.html",
        course_id=course_id,
        board=board,
        students=students if everyone else on_assigned,
        everyone=everyone,
        class_size=len(students),
        on_assigned=len(on_assigned),
        dials={student_id: dial.value for student_id, dial in dials.items()},
        assigned=board_progress.assignments(board),
    )


@bp.post("/boards/<int:board_id>/assignments")
@requires_role(CourseRole.TEACHER)
def save_assignments(course_id: int, board_id: int) -> ResponseReturnValue:
    """Save the assignments; unticked boxes remove an assignment."""
    chosen: dict[int, set[int]] = {}
    for key in request.form:
        student_id = parse_id(key.removeprefix("assign-")) if key.startswith("assign-") else None
        if student_id is not None:
            chosen[student_id] = {
                i for v in request.form.getlist(key) if (i := parse_id(v)) is not None
            }
    board_progress.set_assignments(current_enrollment(), board_id, chosen, now=utcnow())
    flash("Assignments saved.")
    return redirect(
        url_for("instructor.board_assignments", course_id=course_id, board_id=board_id), 303
    )
