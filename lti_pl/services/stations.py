"""Station rotations: groups proposed from current mastery, adjusted by the teacher, saved."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.grouping import StationPlan, StudentLevel, move_student, propose_stations
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.profiles import StationPlanRecord
from lti_pl.services.enrollments import course_students
from lti_pl.services.lookups import in_course, of_course
from lti_pl.services.targets import target_in_course
from lti_pl.services.wall_cells import scale_of

logger = logging.getLogger(__name__)
DEFAULT_GROUP_SIZE = 4
MAX_GROUP_SIZE = 40


def parse_group_size(text: str) -> int:
    """The group size limit as typed.

    Raises:
        InvalidInputError: not a whole number from 1 to 40.
    """
    try:
        size = int(text.strip()) if text.strip() else DEFAULT_GROUP_SIZE
    except ValueError:
        raise InvalidInputError(
            "Type the group size as a whole number.", "max_group_size"
        ) from None
    if not 1 <= size <= MAX_GROUP_SIZE:
        raise InvalidInputError(
            f"Groups hold between 1 and {MAX_GROUP_SIZE} students.", field="max_group_size"
        )
    return size


def propose(
    course: Course, target_id: int, max_group_size: int, *, section: str = ""
) -> StationPlan:
    """Groups for a target from the students' current mastery.

    Raises:
        NotFoundError: the target is not in the course.
        InvalidInputError: a group size below 1.
    """
    target = target_in_course(course.id, target_id)
    students = course_students(course.id, section=section)
    scores = {
        r.enrollment_id: r.score
        for r in db.session.scalars(
            select(MasteryRecord).where(
                MasteryRecord.course_id == course.id, MasteryRecord.target_id == target.id
            )
        )
    }
    levels = [StudentLevel(s.id, s.person.display_name, scores.get(s.id)) for s in students]
    return propose_stations(levels, scale_of(course), max_group_size=max_group_size)


def apply_moves(plan: StationPlan, moves: Mapping[int, str]) -> StationPlan:
    """The plan with each student in the group the teacher picked.

    Raises:
        NotFoundError: an unknown student or group.
    """
    for enrollment_id, key in sorted(moves.items()):
        if key:
            plan = move_student(plan, enrollment_id, key)
    return plan


def plan_to_json(plan: StationPlan) -> dict[str, Any]:
    """A plan as stored in StationPlanRecord.plan."""
    return {
        "groups": [
            {
                "key": g.key,
                "station": g.station.value,
                "students": [
                    {
                        "enrollment_id": s.enrollment_id,
                        "name": s.name,
                        "level_points": s.level_points,
                    }
                    for s in g.students
                ],
            }
            for g in plan.groups
        ]
    }


def save_plan(
    actor: Enrollment,
    target_id: int,
    max_group_size: int,
    title: str,
    moves: Mapping[int, str],
    *,
    now: datetime,
) -> StationPlanRecord:
    """Propose the groups again, apply the teacher's moves, and save the plan.

    Raises:
        NotFoundError: an unknown target, student or group.
        InvalidInputError: a bad group size.
    """
    plan = apply_moves(propose(actor.course, target_id, max_group_size), moves)
    record = StationPlanRecord(
        course_id=actor.course_id,
        target_id=target_id,
        title=title.strip()[:200] or f"Rotation of {now:%d %b %Y}",
        max_group_size=max_group_size,
        plan=plan_to_json(plan),
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(record)
    db.session.flush()
    logger.info("station plan saved course=%s plan=%s", actor.course_id, record.id)
    return record


def saved_plans(course_id: int) -> list[StationPlanRecord]:
    """Saved plans, newest first."""
    return of_course(
        StationPlanRecord,
        course_id,
        StationPlanRecord.created_at.desc(),
        StationPlanRecord.id.desc(),
    )


def get_plan(course_id: int, plan_id: int) -> StationPlanRecord:
    """A saved plan of this course.

    Raises:
        NotFoundError: no such plan in the course.
    """
    return in_course(
        StationPlanRecord, plan_id, course_id, "That rotation plan is not in this course."
    )
