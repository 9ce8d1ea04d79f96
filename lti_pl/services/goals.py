"""Students' goals: set, check in, finish or drop; teachers comment."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import select

from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.ids import parse_id
from lti_pl.domain.profiles import GoalStatus, validate_goal
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.profiles import Goal, GoalCheckIn, TeacherComment
from lti_pl.services.profiles import readable_student
from lti_pl.services.targets import target_in_course

logger = logging.getLogger(__name__)
MAX_NOTE_CHARS = 2000


def list_goals(enrollment_id: int) -> list[Goal]:
    """A student's goals: active first, then by due date."""
    goals = db.session.scalars(select(Goal).where(Goal.enrollment_id == enrollment_id)).all()
    return sorted(goals, key=lambda g: (g.status != GoalStatus.ACTIVE.value, g.due, g.id))


def _own_goal(student: Enrollment, goal_id: int) -> Goal:
    goal = db.session.get(Goal, goal_id)
    if goal is None or goal.enrollment_id != student.id:
        raise NotFoundError("That goal is not one of yours.")
    return goal


def goal_for_reader(actor: Enrollment, goal_id: int) -> Goal:
    """A goal the actor may read (their own, their student's, their observee's).

    Raises:
        NotFoundError: no such goal in the actor's course.
        NotAllowedError: the goal belongs to someone the actor may not read.
    """
    goal = db.session.get(Goal, goal_id)
    if goal is None:
        raise NotFoundError("That goal does not exist.")
    readable_student(actor, goal.enrollment_id)
    return goal


def _parse_due(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError("Pick a due date.", field="due") from None


def create_goal(student: Enrollment, target_id: str, text: str, due: str, *, now: datetime) -> Goal:
    """Set a new goal, optionally about a target of the course.

    Raises:
        InvalidInputError: text or due date break a rule.
        NotFoundError: the target is not in the course.
    """
    due_date = _parse_due(due)
    cleaned = validate_goal(text, due_date, now.date())
    parsed_id = parse_id(target_id)
    target = target_in_course(student.course_id, parsed_id) if parsed_id is not None else None
    goal = Goal(
        enrollment_id=student.id,
        target_id=target.id if target else None,
        text=cleaned,
        due=due_date,
        status=GoalStatus.ACTIVE.value,
        created_at=now,
        updated_at=now,
    )
    db.session.add(goal)
    db.session.flush()
    logger.info("goal created enrollment=%s goal=%s", student.id, goal.id)
    return goal


def _note(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInputError("Write a few words first.", field="text")
    if len(cleaned) > MAX_NOTE_CHARS:
        raise InvalidInputError(f"Keep it to {MAX_NOTE_CHARS} characters.", field="text")
    return cleaned


def check_in(student: Enrollment, goal_id: int, text: str, *, now: datetime) -> GoalCheckIn:
    """Add a check-in reflection to one of the student's goals.

    Raises:
        InvalidInputError: empty or too long.
        NotFoundError: not the student's goal.
    """
    goal = _own_goal(student, goal_id)
    entry = GoalCheckIn(goal_id=goal.id, text=_note(text), created_at=now)
    goal.check_ins.append(entry)
    goal.updated_at = now
    db.session.flush()
    return entry


def set_status(student: Enrollment, goal_id: int, status: str, *, now: datetime) -> Goal:
    """Mark a goal met, dropped or active again.

    Raises:
        InvalidInputError: an unknown status.
        NotFoundError: not the student's goal.
    """
    goal = _own_goal(student, goal_id)
    try:
        goal.status = GoalStatus(status).value
    except ValueError:
        raise InvalidInputError("Choose met, dropped or active.", field="status") from None
    goal.updated_at = now
    db.session.flush()
    return goal


def comment(teacher: Enrollment, goal_id: int, text: str, *, now: datetime) -> TeacherComment:
    """A teacher's comment on a student's goal.

    Raises:
        InvalidInputError: empty or too long.
        NotFoundError: the goal's student is not in the teacher's course.
    """
    goal = goal_for_reader(teacher, goal_id)
    entry = TeacherComment(goal_id=goal.id, author_id=teacher.id, text=_note(text), created_at=now)
    goal.comments.append(entry)
    db.session.flush()
    logger.info("goal comment goal=%s author=%s", goal.id, teacher.id)
    return entry
