"""Recomputing a whole course's mastery in one pass, and sending the grades that changed."""

from __future__ import annotations

import gc
import logging as _logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update

from lti_pl.domain.errors import NotFoundError
from lti_pl.domain.mastery import MasteryResult, ScoresCalculator, prepare
from lti_pl.domain.overrides import apply_override
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.evidence import Assessment, MasteryRecord
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget
from lti_pl.services import grade_passback, overrides, release_rules
from lti_pl.services.courses import course_policy
from lti_pl.services.mastery import (
    result_grade,
)

logger = _logging.getLogger(__name__)


@dataclass(frozen=True)
class CourseRecompute:
    """What `recompute_course` did.

    Attributes:
        records: mastery records recomputed (every student x target with evidence or a record).
        grades_changed: records whose converted grade changed.
        scores_queued: scores put in the outbox.
        written: records inserted or changed; a record whose result is unchanged is not
            rewritten (its `updated_at` stays the time it last changed).
    """

    records: int
    grades_changed: int
    scores_queued: int
    written: int


def recompute_course(course_id: int, now: datetime, *, send: bool = True) -> int:
    """Recompute every student × target of a course in one pass.

    One query loads the scores of all the course's assessments (ordered per student and
    target), one the existing records, one the targets and one the line items; new records are
    inserted and changed ones updated with one statement each. Grades that changed are queued
    like `recompute` does.

    Args:
        course_id: the course.
        now: the current time.
        send: queue grades for changed records (False for dry runs such as the benchmark's).

    Returns:
        The number of records recomputed.
    """
    return recompute_course_report(course_id, now, send=send).records


#: The record columns a recompute sets besides the pair and `updated_at`, in the order of
#: `_result_values`; a record whose stored values all equal the new ones is left alone.
_RESULT_COLUMNS = (
    "method",
    "score",
    "level_points",
    "label",
    "color",
    "is_mastered",
    "next_score_to_master",
    "explanation",
    "probability",
    "evidence_count",
    "grade",
    "details",
)
_GRADE = _RESULT_COLUMNS.index("grade")
_LEVEL = _RESULT_COLUMNS.index("level_points")


def _result_values(
    result: MasteryResult, grade: float | None, count: int, details: dict[str, object]
) -> tuple[object, ...]:
    """A record's `_RESULT_COLUMNS` for a result (the bulk form of `_apply`)."""
    level = result.level
    return (
        result.method,
        result.score,
        level.points if level else None,
        level.label if level else "",
        level.color if level else "",
        result.mastered,
        result.next_score_to_master,
        result.explanation,
        result.probability,
        count,
        grade,
        details,
    )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk step, then resume it if it was on.

    A course recompute allocates some 100,000 rows, lists and dicts that all live until the
    insert; the collector would walk them again and again (a quarter of the run's time) and
    find nothing, as none of them form cycles. Reference counting still frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def recompute_course_report(course_id: int, now: datetime, *, send: bool = True) -> CourseRecompute:
    """`recompute_course` with counts of written records, changed grades and queued scores."""
    with _cyclic_gc_paused():
        return _recompute_course(course_id, now, send=send)


def _recompute_course(course_id: int, now: datetime, *, send: bool) -> CourseRecompute:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFoundError("This course does not exist.")
    db.session.flush()
    policy = course_policy(course)
    scale, conversion = policy.scale, policy.conversion
    methods = {
        target.id: policy.target_method(target)
        for target in db.session.scalars(
            select(LearningTarget).where(LearningTarget.course_id == course_id)
        )
    }
    calculators: dict[int, ScoresCalculator] = {}
    details: dict[int, dict[str, object]] = {}
    # Scores only, per student and target, by work date with ties by id (as `recompute` orders
    # them): the engine's fast path takes them in this order, so no dates are read or parsed.
    # Table columns, not ORM attributes: the rows skip the ORM's per-row loading.
    assessment = Assessment.__table__.c
    rows = db.session.execute(
        select(assessment.enrollment_id, assessment.target_id, assessment.score)
        .where(assessment.course_id == course_id)
        .order_by(
            assessment.enrollment_id,
            assessment.target_id,
            func.coalesce(assessment.work_done_at, assessment.assessed_at),
            assessment.id,
        )
    )
    histories: dict[tuple[int, int], list[float]] = {}
    last_enrollment = last_target = None
    scores: list[float] = []
    for enrollment_id, target_id, score in rows.all():
        # One key tuple per pair, not one per row.
        if target_id != last_target or enrollment_id != last_enrollment:
            last_enrollment, last_target = enrollment_id, target_id
            scores = histories[(enrollment_id, target_id)] = []
        scores.append(score)
    # Plain rows, not ORM objects: thousands of records are compared and written in bulk below.
    record = MasteryRecord.__table__.c
    existing = {
        (row[1], row[2]): (row[0], tuple(row[3:]))
        for row in db.session.execute(
            select(
                record.id,
                record.enrollment_id,
                record.target_id,
                *(record[column] for column in _RESULT_COLUMNS),
            ).where(record.course_id == course_id)
        )
    }
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    changed: dict[int, list[int]] = defaultdict(list)
    levels: list[release_rules.LevelChange] = []
    recomputed = 0
    no_scores: list[float] = []
    held = overrides.course_overrides(course_id)
    ruled = release_rules.targets_with_rules(course_id)  # most courses: none, nothing collected
    for pair in sorted(histories.keys() | existing.keys()):
        enrollment_id, target_id = pair
        if target_id not in methods:
            continue
        calculate_scores = calculators.get(target_id)
        if calculate_scores is None:
            method, params = methods[target_id]
            calculate_scores = calculators[target_id] = prepare(method, scale, params)
            details[target_id] = {"params": dict(params)}
        scores = histories.get(pair, no_scores)
        result = calculate_scores(scores)
        pair_details = details[target_id]
        override = held.get(pair)
        if override is not None:
            result = apply_override(result, override, scale)
            pair_details = {**pair_details, "override": override.points}
        grade = result_grade(result, scale, conversion)
        values = _result_values(result, grade, len(scores), pair_details)
        recomputed += 1
        known = existing.get(pair)
        if known is None:
            row = dict(zip(_RESULT_COLUMNS, values, strict=True))
            row["course_id"] = course_id
            row["enrollment_id"], row["target_id"] = pair
            row["updated_at"] = now
            inserts.append(row)
        elif known[1] != values:
            row = dict(zip(_RESULT_COLUMNS, values, strict=True))
            row["record_id"], row["updated_at"] = known[0], now
            updates.append(row)
        if grade is not None and grade != (known[1][_GRADE] if known else None):
            changed[enrollment_id].append(target_id)
        if target_id in ruled:
            after = result.level.points if result.level else None
            stored = known[1][_LEVEL] if known else None
            before = float(stored) if isinstance(stored, (int, float)) else None
            if after is not None and after != before:
                levels.append(release_rules.LevelChange(enrollment_id, target_id, before, after))
    # Core executemany: one statement for all rows (the ORM's bulk insert splits them up).
    table = MasteryRecord.__table__
    if inserts:
        db.session.execute(insert(table), inserts)
    if updates:
        # The SET clause comes from the parameters' column names.
        db.session.execute(update(table).where(table.c.id == bindparam("record_id")), updates)
    if updates or inserts:
        db.session.expire_all()  # ORM copies of the records are stale now
    # Mastery-based release, as `recompute` does for one pair (services/release_rules.py).
    release_rules.on_levels_changed(course_id, levels, now=now)
    queued = 0
    changed_count = sum(len(ids) for ids in changed.values())
    if send and changed:
        queued = _send_changed(course_id, changed, now=now)
    written = len(inserts) + len(updates)
    logger.info(
        "recomputed course=%s records=%s written=%s changed=%s queued=%s",
        course_id,
        recomputed,
        written,
        changed_count,
        queued,
    )
    return CourseRecompute(recomputed, changed_count, queued, written)


def _send_changed(course_id: int, changed: Mapping[int, list[int]], *, now: datetime) -> int:
    """Queue the grades of changed records (one query each for line items, records, people)."""
    line_items = list(
        db.session.scalars(
            select(LineItem).where(LineItem.course_id == course_id).order_by(LineItem.id)
        )
    )
    if not line_items:
        return 0
    course = db.session.get(Course, course_id)
    assert course is not None  # noqa: S101 - loaded by the caller
    records = {
        (r.enrollment_id, r.target_id): r
        for r in db.session.scalars(
            select(MasteryRecord).where(
                MasteryRecord.course_id == course_id,
                MasteryRecord.enrollment_id.in_(list(changed)),
            )
        )
    }
    enrollments = {
        e.id: e
        for e in db.session.scalars(select(Enrollment).where(Enrollment.id.in_(list(changed))))
    }
    targets = {
        t.id: t
        for t in db.session.scalars(
            select(LearningTarget).where(LearningTarget.course_id == course_id)
        )
    }
    queued = 0
    for enrollment_id, target_ids in changed.items():
        pairs = [(targets[t], records[(enrollment_id, t)]) for t in target_ids]
        queued += grade_passback.send_grades(
            course, enrollments[enrollment_id], pairs, line_items, now=now
        )
    return queued
