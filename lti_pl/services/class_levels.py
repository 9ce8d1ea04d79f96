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
    Assessed,
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
    # Columns, not rows: a term holds tens of thousands of assessments, and a whole row (with
    # its JSON and text columns) costs several times what the chart reads of it.
    records = {
        (r.enrollment_id, r.target_id): r
        for r in db.session.execute(
            select(
                MasteryRecord.enrollment_id,
                MasteryRecord.target_id,
                MasteryRecord.method,
                MasteryRecord.details,
            ).where(MasteryRecord.enrollment_id.in_(ids))
        )
    }
    assessments: dict[tuple[int, int], list[Assessed]] = {}
    for a in db.session.execute(
        select(
            Assessment.id,
            Assessment.enrollment_id,
            Assessment.target_id,
            Assessment.score,
            Assessment.assessed_at,
        )
        .where(Assessment.enrollment_id.in_(ids))
        .order_by(Assessment.assessed_at, Assessment.id)
    ):
        assessments.setdefault((a.enrollment_id, a.target_id), []).append(a)
    default = course.calculation_method or DEFAULT_METHOD
    charts = []
    for target in list_targets(course.id):
        assessed = [
            (student, rows)
            for student in students
            if (rows := assessments.get((student.id, target.id)))
        ]
        days = sorted({a.assessed_at.date() for _, rows in assessed for a in rows})[-MAX_DAYS:]
        histories: list[tuple[LevelStep, ...]] = []
        for student, rows in assessed:
            method, params = record_method(records.get((student.id, target.id)), default)
            # Only the steps the chart's days show: each day's last one, or the one before it.
            steps = level_history(rows, scale, method, params, days=days)
            if steps:
                histories.append(steps)
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
