"""Teachers build choice boards; students work through them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy import select

from lti_pl.domain.choice_boards import (
    MAX_ACTIVITY_MINUTES,
    MAX_CHOOSE_N,
    MAX_TITLE_CHARS,
    MIN_ACTIVITY_MINUTES,
    ActivityStatus,
    ActivityView,
    BoardLayout,
    BoardProblem,
    Modality,
    Readiness,
    Requirement,
    StationType,
    advance_status,
    board_problems,
    reorder,
    validate_board,
)
from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.domain.evidence import safe_filename
from lti_pl.domain.ids import parse_id
from lti_pl.domain.profiles import normalize_interests
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.choice_boards import Activity, ActivityAssignment, ActivityProgress, ChoiceBoard
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.targets import LearningTarget, Unit
from lti_pl.services import uploads
from lti_pl.services.enrollments import course_students
from lti_pl.services.evidence import log_practice
from lti_pl.services.targets import target_in_course

logger = logging.getLogger(__name__)
_E = TypeVar("_E", Modality, Readiness, StationType, Requirement)

#: Activities a student doing them counts as relearning the board's target.
RELEARNING_READINESS = frozenset({Readiness.PRACTICE, Readiness.RETEACH})

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
    return list(
        db.session.scalars(
            select(ChoiceBoard)
            .where(ChoiceBoard.course_id == course_id)
            .order_by(ChoiceBoard.created_at.desc(), ChoiceBoard.id.desc())
        )
    )


def get_board(course_id: int, board_id: int) -> ChoiceBoard:
    """A board of this course.

    Raises:
        NotFoundError: no such board in the course.
    """
    board = db.session.get(ChoiceBoard, board_id)
    if board is None or board.course_id != course_id:
        raise NotFoundError("That choice board is not in this course.")
    return board


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
    choose_n = _int(form.choose_n or "0", "choose_n", "Type how many may-dos students choose.")
    if choose_n < 0:
        raise InvalidInputError("The number to choose cannot be negative.", field="choose_n")
    if choose_n > MAX_CHOOSE_N:
        raise InvalidInputError(
            f"Students can choose at most {MAX_CHOOSE_N} may-dos.", field="choose_n"
        )
    target_id = None
    if form.target_id:
        target_id = target_in_course(course_id, _id(form.target_id, "target_id")).id
    unit_id = None
    if form.unit_id:
        unit = db.session.get(Unit, _id(form.unit_id, "unit_id"))
        if unit is None or unit.course_id != course_id:
            raise NotFoundError("That unit is not in this course.")
        unit_id = unit.id
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
        _validate(board)
    db.session.flush()
    return board


def set_published(actor: Enrollment, board_id: int, is_published: bool, *, now: datetime) -> None:
    """Publish a board (after checking every rule) or take it back to draft.

    Raises:
        InvalidInputError: the board breaks a rule; the message lists each one.
    """
    board = get_board(actor.course_id, board_id)
    if is_published:
        _validate(board)
    board.is_published = is_published
    board.updated_at = now
    db.session.flush()
    logger.info("board published=%s board=%s", is_published, board.id)


def _validate(board: ChoiceBoard) -> None:
    validate_board(
        BoardLayout(board.layout), board.choose_n, [activity_view(a) for a in board.activities]
    )


@dataclass(frozen=True)
class ActivityInput:
    """The activity form as typed."""

    title: str
    instructions: str = ""
    link_url: str = ""
    modality: str = Modality.READ.value
    interests: str = ""
    readiness: str = Readiness.PRACTICE.value
    minutes: str = "15"
    station: str = ""
    requirement: str = Requirement.MAY_DO.value


def _parse_activity(form: ActivityInput) -> dict[str, object]:
    title = form.title.strip()
    if not title:
        raise InvalidInputError("Give the activity a title.", field="title")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidInputError(f"Keep the title to {MAX_TITLE_CHARS} characters.", field="title")
    link = form.link_url.strip()
    if link:
        parts = urlsplit(link)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise InvalidInputError(
                "Use a full web address starting with https://.", field="link_url"
            )
    minutes = _int(form.minutes, "minutes", "Type the minutes as a whole number.")
    if not MIN_ACTIVITY_MINUTES <= minutes <= MAX_ACTIVITY_MINUTES:
        raise InvalidInputError(
            f"Use between {MIN_ACTIVITY_MINUTES} and {MAX_ACTIVITY_MINUTES} minutes.",
            field="minutes",
        )
    return {
        "title": title,
        "instructions": form.instructions.strip(),
        "link_url": link,
        "modality": _choice(Modality, form.modality, "modality", "a way of working").value,
        "interests": sorted(normalize_interests(form.interests)),
        "readiness": _choice(Readiness, form.readiness, "readiness", "a readiness level").value,
        "minutes": minutes,
        "station": (
            _choice(StationType, form.station, "station", "a station").value
            if form.station
            else None
        ),
        "requirement": _choice(
            Requirement, form.requirement, "requirement", "must-do or may-do"
        ).value,
    }


def save_activity(
    actor: Enrollment,
    board_id: int,
    activity_id: int | None,
    form: ActivityInput,
    *,
    now: datetime,
    upload: uploads.IncomingFile | None = None,
    limits: uploads.UploadLimits | None = None,
    remove_file: bool = False,
) -> Activity:
    """Add an activity at the end of a board, or change one, with an optional file.

    A new upload (checked like evidence files: type, content, size; stored under a random name
    in the activity subfolder of `limits.folder`) replaces the activity's file; `remove_file`
    drops it. A replaced file is deleted from disk when the transaction commits, unless another
    activity (e.g. a copy) uses it; the new file is removed again if it does not commit.

    Raises:
        InvalidInputError: a field breaks a rule (field "file" for a refused upload), or a
            published board would break one. Nothing is stored then.
        NotFoundError: the board or activity is not in the course.
    """
    board = get_board(actor.course_id, board_id)
    values = _parse_activity(form)
    existing = get_activity(actor.course_id, board_id, activity_id) if activity_id else None
    folder = activity_files_folder(limits.folder) if limits is not None else ""
    stored: uploads.StoredFile | None = None
    if upload is not None and upload.filename:
        if limits is None:
            raise InvalidInputError("Files cannot be uploaded here.", field="file")
        stored = uploads.save_upload(
            upload, folder, max_bytes=limits.max_bytes, allowed_types=limits.allowed_types
        )
        values.update(
            filename=safe_filename(upload.filename),
            stored_name=stored.stored_name,
            content_type=stored.content_type,
        )
    elif remove_file:
        values.update(filename="", stored_name="", content_type="")
    previous = existing.stored_name if existing is not None else ""
    try:
        if existing is None:
            position = max((a.position for a in board.activities), default=-1) + 1
            activity = Activity(position=position, **values)
            board.activities.append(activity)
        else:
            activity = existing
            for key, value in values.items():
                setattr(activity, key, value)
        board.updated_at = now
        if board.is_published:
            _validate(board)
        db.session.flush()
    except BaseException:
        if stored is not None:
            uploads.remove(folder, stored.stored_name)
        raise
    if folder and previous and previous != activity.stored_name:
        _remove_unused_files(folder, {previous})
    if stored is not None:
        logger.info("activity file stored activity=%s size=%s", activity.id, stored.size)
    return activity


def _remove_unused_files(folder: str, stored_names: set[str]) -> None:
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


def activity_file(
    actor: Enrollment, activity_id: int, upload_folder: str, *, is_locked: bool = False
) -> uploads.DownloadFile:
    """The file of an activity, for the course's teachers, students and observers.

    Students and observers see files of published boards only, and a student not the file of
    an activity their structure dial keeps from them (`is_locked`: "assigned", not assigned).

    Raises:
        NotFoundError: the activity is not in the actor's course (or not visible), has no file,
            or the file is gone from disk.
        NotAllowedError: the activity is locked for the student.
    """
    activity = db.session.get(Activity, activity_id)
    board = activity.board if activity is not None else None
    if (
        activity is None
        or board is None
        or board.course_id != actor.course_id
        or (actor.role != CourseRole.TEACHER.value and not board.is_published)
        or not activity.stored_name
    ):
        raise NotFoundError("That activity file is not in this course.")
    if is_locked and actor.role == CourseRole.STUDENT.value:
        raise NotAllowedError("Your teacher has not assigned this activity to you yet.")
    return uploads.download(
        activity_files_folder(upload_folder),
        activity.stored_name,
        activity.content_type,
        activity.filename,
    )


def delete_activity(
    actor: Enrollment, board_id: int, activity_id: int, *, now: datetime, upload_folder: str
) -> None:
    """Remove an activity (and students' progress on it); positions close up.

    Its file is deleted from disk when the transaction commits (unless a copy still uses it).

    Args:
        actor: the teacher.
        board_id: the board.
        activity_id: the activity.
        now: the time of the change.
        upload_folder: the upload folder (LTI_PL_UPLOAD_FOLDER).

    Raises:
        InvalidInputError: removing it would leave a published board breaking a rule.
        NotFoundError: the activity is not on a board of the course.
    """
    board = get_board(actor.course_id, board_id)
    activity = get_activity(actor.course_id, board_id, activity_id)
    board.activities.remove(activity)
    for index, remaining in enumerate(board.activities):
        remaining.position = index
    if board.is_published:
        _validate(board)
    board.updated_at = now
    db.session.flush()
    _remove_unused_files(activity_files_folder(upload_folder), {activity.stored_name})
    logger.info("activity deleted board=%s activity=%s", board.id, activity_id)


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
    _remove_unused_files(activity_files_folder(upload_folder), stored_names)
    logger.info("board deleted course=%s board=%s", actor.course_id, board_id)


def move_activity(actor: Enrollment, board_id: int, activity_id: int, direction: str) -> None:
    """Move an activity one place up or down (the keyboard alternative to dragging).

    Raises:
        InvalidInputError: direction is not "up" or "down".
        NotFoundError: the activity is not on the board.
    """
    board = get_board(actor.course_id, board_id)
    ids = [a.id for a in board.activities]
    if direction not in {"up", "down"}:
        raise InvalidInputError("Move an activity up or down.", field="direction")
    if activity_id not in ids:
        raise NotFoundError("That activity is not on this board.")
    step = -1 if direction == "up" else 1
    new_order = reorder(ids, activity_id, ids.index(activity_id) + step)
    by_id = {a.id: a for a in board.activities}
    for index, moved_id in enumerate(new_order):
        by_id[moved_id].position = index
    db.session.flush()
    db.session.expire(board, ["activities"])


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


def assignments(board: ChoiceBoard) -> dict[int, set[int]]:
    """Student enrollment id -> ids of activities on this board assigned to them."""
    ids = [a.id for a in board.activities]
    result: dict[int, set[int]] = {}
    if not ids:
        return result
    for row in db.session.scalars(
        select(ActivityAssignment).where(ActivityAssignment.activity_id.in_(ids))
    ):
        result.setdefault(row.enrollment_id, set()).add(row.activity_id)
    return result


def set_assignments(
    actor: Enrollment, board_id: int, chosen: Mapping[int, set[int]], *, now: datetime
) -> None:
    """Replace the board's assignments with `chosen` (student id -> activity ids).

    Students left out of `chosen` lose their assignments on this board.

    Raises:
        NotFoundError: a student or activity not in the course or board.
    """
    board = get_board(actor.course_id, board_id)
    activity_ids = {a.id for a in board.activities}
    students = {s.id for s in course_students(actor.course_id)}
    for student_id, ids in chosen.items():
        if student_id not in students:
            raise NotFoundError("That student is not in this course.")
        if not ids <= activity_ids:
            raise NotFoundError("That activity is not on this board.")
    current = assignments(board)
    for student_id in students:
        wanted = chosen.get(student_id, set())
        have = current.get(student_id, set())
        for activity_id in wanted - have:
            db.session.add(
                ActivityAssignment(
                    enrollment_id=student_id,
                    activity_id=activity_id,
                    assigned_by_id=actor.id,
                    assigned_at=now,
                )
            )
        gone = have - wanted
        if gone:
            for row in db.session.scalars(
                select(ActivityAssignment).where(
                    ActivityAssignment.enrollment_id == student_id,
                    ActivityAssignment.activity_id.in_(gone),
                )
            ):
                db.session.delete(row)
    db.session.flush()


def statuses_for(enrollment_id: int, board: ChoiceBoard) -> dict[int, ActivityProgress]:
    """Activity id -> the student's progress row on this board."""
    ids = [a.id for a in board.activities]
    if not ids:
        return {}
    return {
        row.activity_id: row
        for row in db.session.scalars(
            select(ActivityProgress).where(
                ActivityProgress.enrollment_id == enrollment_id,
                ActivityProgress.activity_id.in_(ids),
            )
        )
    }


def published_board(course_id: int, board_id: int) -> ChoiceBoard:
    """A board students may open.

    Raises:
        NotFoundError: no such published board in the course.
    """
    board = get_board(course_id, board_id)
    if not board.is_published:
        raise NotFoundError("That choice board is not in this course.")
    return board


def published_boards(course_id: int) -> list[ChoiceBoard]:
    """Boards students see, newest first."""
    return [b for b in list_boards(course_id) if b.is_published]


def change_status(
    student: Enrollment,
    activity_id: int,
    new_status: str,
    reflection: str,
    *,
    now: datetime,
    is_locked: bool,
) -> ActivityProgress:
    """Move a student's activity along not started → in progress → done (or reopen it).

    Finishing a practice or reteach activity on a board with a target is logged as relearning.

    Args:
        student: the student.
        activity_id: the activity.
        new_status: an ActivityStatus value.
        reflection: optional text; kept when blank.
        now: the time of the change.
        is_locked: the student's dial hides this activity from them.

    Raises:
        NotFoundError: the activity is not on a published board of the course.
        NotAllowedError: the activity is locked for the student.
        InvalidInputError: the change is not allowed.
    """
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFoundError("That activity is not in this course.")
    board = published_board(student.course_id, activity.board_id)
    if is_locked:
        raise NotAllowedError("Your teacher has not assigned this activity to you yet.")
    try:
        wanted = ActivityStatus(new_status)
    except ValueError:
        raise InvalidInputError("Choose in progress or done.", field="status") from None
    row = statuses_for(student.id, board).get(activity.id)
    current = ActivityStatus(row.status) if row else ActivityStatus.NOT_STARTED
    advance_status(current, wanted)
    if row is None:
        row = ActivityProgress(enrollment_id=student.id, activity_id=activity.id)
        db.session.add(row)
    row.status = wanted.value
    if reflection.strip():
        row.reflection = reflection.strip()
    row.updated_at = now
    db.session.flush()
    if (
        wanted is ActivityStatus.DONE
        and Readiness(activity.readiness) in RELEARNING_READINESS
        and board.target_id is not None
    ):
        log_practice(student.id, board.target_id, activity.id, now)
    logger.info("activity status enrollment=%s activity=%s %s", student.id, activity.id, wanted)
    return row


def _int(value: str, field: str, message: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInputError(message or "Choose from the list.", field=field) from None


def _id(value: str, field: str) -> int:
    """A row id picked from a list; an id no row can have is refused like any other text."""
    parsed = parse_id(value)
    if parsed is None:
        raise InvalidInputError("Choose from the list.", field=field)
    return parsed


def _choice(kind: type[_E], value: str, field: str, noun: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise InvalidInputError(f"Choose {noun} from the list.", field=field) from None


def board_of(activity_id: int) -> int:
    """The board id of an activity.

    Raises:
        NotFoundError: no such activity.
    """
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFoundError("That activity does not exist.")
    return activity.board_id
