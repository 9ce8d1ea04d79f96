"""Choice boards for students: assignments, published boards, activity statuses."""

from __future__ import annotations

import logging as _logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain.choice_boards import (
    ActivityStatus,
    Readiness,
    advance_status,
)
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity, ActivityAssignment, ActivityProgress, ChoiceBoard
from lti_pl.models.courses import Enrollment
from lti_pl.services.choice_boards import (
    get_board,
    list_boards,
)
from lti_pl.services.enrollments import course_students
from lti_pl.services.evidence import log_practice

logger = _logging.getLogger(__name__)


#: Activities a student doing them counts as relearning the board's target.
RELEARNING_READINESS = frozenset({Readiness.PRACTICE, Readiness.RETEACH})


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
    """Replace the assignments of the students in `chosen` (student id -> activity ids).

    Students left out of `chosen` keep theirs: the page may list only some students (those
    whose structure is "assigned"), and a student it did not show was not unticked.

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
    for student_id in chosen:
        wanted = chosen[student_id]
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
