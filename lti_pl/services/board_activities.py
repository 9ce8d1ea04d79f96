"""A choice board's activities: saving, files, deleting, moving."""

from __future__ import annotations

import logging as _logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from lti_pl.domain.choice_boards import (
    MAX_ACTIVITY_MINUTES,
    MAX_TITLE_CHARS,
    MIN_ACTIVITY_MINUTES,
    Modality,
    Readiness,
    Requirement,
    StationType,
    reorder,
)
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.domain.evidence import safe_filename
from lti_pl.domain.form_fields import picked, whole_number
from lti_pl.domain.profiles import normalize_interests
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.choice_boards import Activity
from lti_pl.models.courses import Enrollment
from lti_pl.services import uploads
from lti_pl.services.choice_boards import (
    activity_files_folder,
    check_board,
    get_activity,
    get_board,
    remove_unused_files,
)

logger = _logging.getLogger(__name__)


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
    minutes = whole_number(form.minutes, "minutes", "Type the minutes as a whole number.")
    if not MIN_ACTIVITY_MINUTES <= minutes <= MAX_ACTIVITY_MINUTES:
        raise InvalidInputError(
            f"Use between {MIN_ACTIVITY_MINUTES} and {MAX_ACTIVITY_MINUTES} minutes.",
            field="minutes",
        )
    return {
        "title": title,
        "instructions": form.instructions.strip(),
        "link_url": link,
        "modality": picked(Modality, form.modality, "modality", "a way of working").value,
        "interests": sorted(normalize_interests(form.interests)),
        "readiness": picked(Readiness, form.readiness, "readiness", "a readiness level").value,
        "minutes": minutes,
        "station": (
            picked(StationType, form.station, "station", "a station").value
            if form.station
            else None
        ),
        "requirement": picked(
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
            check_board(board)
        db.session.flush()
    except BaseException:
        if stored is not None:
            uploads.remove(folder, stored.stored_name)
        raise
    if folder and previous and previous != activity.stored_name:
        remove_unused_files(folder, {previous})
    if stored is not None:
        logger.info("activity file stored activity=%s size=%s", activity.id, stored.size)
    return activity


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
        check_board(board)
    board.updated_at = now
    db.session.flush()
    remove_unused_files(activity_files_folder(upload_folder), {activity.stored_name})
    logger.info("activity deleted board=%s activity=%s", board.id, activity_id)


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
