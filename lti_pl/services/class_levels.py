"""The class's level over time, one small chart per target: the median of the students' levels.

Each student's level after each assessment is the mastery engine's replay (`level_history`,
as in the binder); the class's level on a day is the median of the latest level of every
student assessed by then. One point per day with assessments, the last `MAX_DAYS` of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from statistics import median

from sqlalchemy import select

from lti_pl.domain.mastery.result import format_points
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Course
from lti_pl.models.evidence import Assessment, MasteryRecord
from lti_pl.models.targets import LearningTarget
from lti_pl.services.enrollments import course_students
from lti_pl.services.level_history import (
    LevelChart,
    LevelStep,
    level_chart,
    level_history,
    record_method,
)
from lti_pl.services.targets import list_targets
from lti_pl.services.wall_cells import scale_of

MAX_DAYS = 12
DEFAULT_METHOD = "decaying_average"


@dataclass(frozen=True)
class ClassTargetChart:
    """One target's class chart, and how many students it counts now."""

    target: LearningTarget
    chart: LevelChart
    assessed: int
    students: int
    mastered: int


def class_level_charts(course: Course) -> list[ClassTargetChart]:
    """A chart per target of the class median level over time (students of all sections)."""
    scale = scale_of(course)
    students = course_students(course.id)
    ids = [s.id for s in students]
    records = {
        (r.enrollment_id, r.target_id): r
        for r in db.session.scalars(
            select(MasteryRecord).where(MasteryRecord.enrollment_id.in_(ids))
        )
    }
    assessments: dict[tuple[int, int], list[Assessment]] = {}
    for a in db.session.scalars(
        select(Assessment)
        .where(Assessment.enrollment_id.in_(ids))
        .order_by(Assessment.assessed_at, Assessment.id)
    ):
        assessments.setdefault((a.enrollment_id, a.target_id), []).append(a)
    default = course.calculation_method or DEFAULT_METHOD
    charts = []
    for target in list_targets(course.id):
        histories: list[tuple[LevelStep, ...]] = []
        for student in students:
            rows = assessments.get((student.id, target.id))
            if not rows:
                continue
            method, params = record_method(records.get((student.id, target.id)), default)
            steps = level_history(rows, scale, method, params)
            if steps:
                histories.append(steps)
        days = sorted({step.when.date() for steps in histories for step in steps})[-MAX_DAYS:]
        class_steps = [_class_step(histories, day, scale) for day in days]
        chart = level_chart(class_steps, scale, target.statement)
        now = [steps[-1] for steps in histories]
        if class_steps:
            last = class_steps[-1]
            chart = dataclasses.replace(
                chart,
                summary=(
                    f"Class median level over time on {target.statement}: "
                    + ", ".join(
                        f"{s.label} ({format_points(s.value)}) on {s.when:%d %b %Y}"
                        for s in class_steps
                    )
                    + f". Now {last.label} ({format_points(last.value)}) over {len(now)} "
                    f"assessed students; mastery is {format_points(scale.mastery_points)}."
                ),
            )
        charts.append(
            ClassTargetChart(
                target=target,
                chart=chart,
                assessed=len(now),
                students=len(students),
                mastered=sum(1 for step in now if step.mastered),
            )
        )
    return charts


def _class_step(
    histories: list[tuple[LevelStep, ...]], day: date, scale: MasteryScale
) -> LevelStep:
    """The median of every student's latest level at the end of `day` (a day with steps)."""
    latest = []
    when: datetime | None = None
    for steps in histories:
        before = [s for s in steps if s.when.date() <= day]
        if before:
            latest.append(before[-1].value)
            today = [s.when for s in before if s.when.date() == day]
            if today and (when is None or today[-1] > when):
                when = today[-1]
    value = float(median(latest))
    at = when or datetime.combine(day, time.max, tzinfo=UTC)
    return LevelStep(at, value, value, scale.level_for(value).label, scale.is_mastered(value))
