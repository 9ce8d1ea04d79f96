"""Teachers build choice boards; students work through them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from lti_pl.domain.choice_boards import (
    MAX_CHOOSE_N,
    MAX_TITLE_CHARS,
    ActivityView,
    BoardLayout,
    BoardProblem,
    Modality,
    Readiness,
    Requirement,
    StationType,
    board_problems,
    validate_board,
)
from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.domain.form_fields import picked_id, whole_number
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.choice_boards import Activity, ChoiceBoard
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.targets import LearningTarget, Unit
from lti_pl.services import uploads
from lti_pl.services.lookups import in_course, of_course
from lti_pl.services.targets import target_in_course

logger = logging.getLogger(__name__)


#: Activity files are stored in this subfolder of the upload folder.
ACTIVITY_FILES_SUBFOLDER = "activities"


def activity_files_folder(upload_folder: str) -> str:
    """Where activity files are stored, given the upload folder (LTI_PL_UPLOAD_FOLDER)."""
    return str(Path(upload_folder) / ACTIVITY_FILES_SUBFOLDER)


def activity_view(activity: Activity) -> ActivityView:
    """The domain's view of a stored activity."""
    return ActivityView(
        id=activity.id,
        title=activity.title,
        modality=Modality(activity.modality),
        interests=frozenset(activity.interests),
        readiness=Readiness(activity.readiness),
        minutes=activity.minutes,
        station=StationType(activity.station) if activity.station else None,
        requirement=Requirement(activity.requirement),
        position=activity.position,
    )


def list_boards(course_id: int) -> list[ChoiceBoard]:
    """A course's boards, newest first."""
    return of_course(ChoiceBoard, course_id, ChoiceBoard.created_at.desc(), ChoiceBoard.id.desc())


def get_board(course_id: int, board_id: int) -> ChoiceBoard:
    """A board of this course.

    Raises:
        NotFoundError: no such board in the course.
    """
    return in_course(ChoiceBoard, board_id, course_id, "That choice board is not in this course.")


def get_activity(course_id: int, board_id: int, activity_id: int) -> Activity:
    """An activity of a board of this course.

    Raises:
        NotFoundError: no such activity on that board.
    """
    board = get_board(course_id, board_id)
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.board_id != board.id:
        raise NotFoundError("That activity is not on this board.")
    return activity


def problems(board: ChoiceBoard) -> list[BoardProblem]:
    """The board rules this board breaks right now (shown while the teacher builds it)."""
    return board_problems(
        BoardLayout(board.layout), board.choose_n, [activity_view(a) for a in board.activities]
    )


@dataclass(frozen=True)
class BoardInput:
    """The board form as typed."""

    title: str
    description: str = ""
    target_id: str = ""
    unit_id: str = ""
    layout: str = BoardLayout.MENU.value
    choose_n: str = "0"


def _parse_board(course_id: int, form: BoardInput) -> dict[str, object]:
    title = form.title.strip()
    if not title:
        raise InvalidInputError("Give the board a title.", field="title")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidInputError(f"Keep the title to {MAX_TITLE_CHARS} characters.", field="title")
    try:
        layout = BoardLayout(form.layout)
    except ValueError:
        raise InvalidInputError("Choose a menu or a tic-tac-toe layout.", field="layout") from None
    choose_n = whole_number(
        form.choose_n or "0", "choose_n", "Type how many may-dos students choose."
    )
    if choose_n < 0:
        raise InvalidInputError("The number to choose cannot be negative.", field="choose_n")
    if choose_n > MAX_CHOOSE_N:
        raise InvalidInputError(
            f"Students can choose at most {MAX_CHOOSE_N} may-dos.", field="choose_n"
        )
    target_id = None
    if form.target_id:
        target_id = target_in_course(course_id, picked_id(form.target_id, "target_id")).id
    unit_id = None
    if form.unit_id:
        unit_id = in_course(
            Unit, picked_id(form.unit_id, "unit_id"), course_id, "That unit is not in this course."
        ).id
    return {
        "title": title,
        "description": form.description.strip(),
        "layout": layout.value,
        "choose_n": choose_n,
        "target_id": target_id,
        "unit_id": unit_id,
    }


def create_board(actor: Enrollment, form: BoardInput, *, now: datetime) -> ChoiceBoard:
    """Create an empty, unpublished board.

    Raises:
        InvalidInputError: a field breaks a rule.
        NotFoundError: a target or unit not in the course.
    """
    values = _parse_board(actor.course_id, form)
    board = ChoiceBoard(course_id=actor.course_id, created_at=now, updated_at=now, **values)
    db.session.add(board)
    db.session.flush()
    logger.info("board created course=%s board=%s", actor.course_id, board.id)
    return board


def update_board(
    actor: Enrollment, board_id: int, form: BoardInput, *, now: datetime
) -> ChoiceBoard:
    """Change a board's settings; a published board must still follow every rule.

    Raises:
        InvalidInputError: a field breaks a rule (or a published board would break one).
        NotFoundError: the board, target or unit is not in the course.
    """
    board = get_board(actor.course_id, board_id)
    for key, value in _parse_board(actor.course_id, form).items():
        setattr(board, key, value)
    board.updated_at = now
    if board.is_published:
        check_board(board)
    db.session.flush()
    return board


def set_published(actor: Enrollment, board_id: int, is_published: bool, *, now: datetime) -> None:
    """Publish a board (after checking every rule) or take it back to draft.

    Raises:
        InvalidInputError: the board breaks a rule; the message lists each one.
    """
    board = get_board(actor.course_id, board_id)
    if is_published:
        check_board(board)
    board.is_published = is_published
    board.updated_at = now
    db.session.flush()
    logger.info("board published=%s board=%s", is_published, board.id)


def check_board(board: ChoiceBoard) -> None:
    """Refuse a board its activities no longer fit (the domain's rules, on the rows)."""
    validate_board(
        BoardLayout(board.layout), board.choose_n, [activity_view(a) for a in board.activities]
    )


def remove_unused_files(folder: str, stored_names: set[str]) -> None:
    """Delete stored activity files once the transaction commits, unless an activity uses them.

    Copies of a board share their activities' files, so a file goes only when the last activity
    naming it does. Call it after the flush that removed or changed the rows.
    """
    names = stored_names - {""}
    if not names:
        return
    in_use = set(
        db.session.scalars(select(Activity.stored_name).where(Activity.stored_name.in_(names)))
    )
    for name in sorted(names - in_use):
        uploads.remove_after_commit(folder, name)


def delete_board(actor: Enrollment, board_id: int, *, upload_folder: str) -> None:
    """Delete a board with its activities, students' progress and assignments on them.

    The activities' files are deleted from disk when the transaction commits (unless a copy of
    the board still uses them).

    Raises:
        NotFoundError: the board is not in the actor's course.
    """
    board = get_board(actor.course_id, board_id)
    stored_names = {a.stored_name for a in board.activities}
    db.session.delete(board)
    db.session.flush()
    remove_unused_files(activity_files_folder(upload_folder), stored_names)
    logger.info("board deleted course=%s board=%s", actor.course_id, board_id)


def teaching_courses(actor: Enrollment) -> list[Course]:
    """Other courses where the same person teaches (duplication targets)."""
    return list(
        db.session.scalars(
            select(Course)
            .join(Enrollment, Enrollment.course_id == Course.id)
            .where(
                Enrollment.person_id == actor.person_id,
                Enrollment.role == CourseRole.TEACHER.value,
                Enrollment.status != EnrollmentStatus.DELETED,
                Course.id != actor.course_id,
            )
            .order_by(Course.title, Course.id)
        )
    )


def duplicate_board(
    actor: Enrollment, board_id: int, to_course_id: int, *, now: datetime
) -> ChoiceBoard:
    """Copy a board and its activities, as a draft, to another course the actor teaches.

    The copy keeps its target when the other course has a target with the same statement.

    Raises:
        NotAllowedError: the actor does not teach the other course.
        NotFoundError: the board is not in the actor's course.
    """
    board = get_board(actor.course_id, board_id)
    if to_course_id not in {c.id for c in teaching_courses(actor)} | {actor.course_id}:
        raise NotAllowedError("You can only copy a board to a course you teach.")
    target_id = None
    if board.target_id is not None:
        source = db.session.get(LearningTarget, board.target_id)
        if to_course_id == actor.course_id:
            target_id = board.target_id
        elif source is not None:
            target_id = db.session.scalars(
                select(LearningTarget.id).where(
                    LearningTarget.course_id == to_course_id,
                    LearningTarget.statement == source.statement,
                    LearningTarget.archived_at.is_(None),
                )
            ).first()
    copy = ChoiceBoard(
        course_id=to_course_id,
        target_id=target_id,
        title=board.title if to_course_id != actor.course_id else f"{board.title} (copy)",
        description=board.description,
        layout=board.layout,
        choose_n=board.choose_n,
        is_published=False,
        created_at=now,
        updated_at=now,
    )
    for activity in board.activities:
        copy.activities.append(
            Activity(
                title=activity.title,
                instructions=activity.instructions,
                link_url=activity.link_url,
                filename=activity.filename,
                stored_name=activity.stored_name,
                content_type=activity.content_type,
                modality=activity.modality,
                interests=list(activity.interests),
                readiness=activity.readiness,
                minutes=activity.minutes,
                station=activity.station,
                requirement=activity.requirement,
                position=activity.position,
            )
        )
    db.session.add(copy)
    db.session.flush()
    logger.info("board duplicated board=%s copy=%s course=%s", board.id, copy.id, to_course_id)
    return copy


def board_of(activity_id: int) -> int:
    """The board id of an activity.

    Raises:
        NotFoundError: no such activity.
    """
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFoundError("That activity does not exist.")
    return activity.board_id
