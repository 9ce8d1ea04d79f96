"""What a course sends to the gradebook: per-target and aggregate grades, and new columns.

Grades go to the LMS through the outbox (`services.grades.queue_score`), in the same transaction
as the mastery change: per-target line items get that target's converted grade; aggregate line
items get the mean converted grade over the targets they cover that have assessed evidence
(`line_items.aggregate_target_ids`: the link's custom `lti_pl_targets`, else every non-archived
target of the course). A line item that appears later gets the students' current grades.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Unpack

from sqlalchemy import select

from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.grade_delivery import ActivityProgress, GradingProgress
from lti_pl.domain.mastery.result import BKT_METHOD, format_points
from lti_pl.extensions import db
from lti_pl.lti.ags import AgsClient
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget
from lti_pl.services import aggregates
from lti_pl.services import line_items as columns
from lti_pl.services.courses import course_policy
from lti_pl.services.grades import queue_score
from lti_pl.services.line_items import (
    PER_TARGET,
    LineItemArgs,
    Passback,
    save_line_item,
    tag_and_resource_id,
)

logger = logging.getLogger(__name__)

FULLY_GRADED = GradingProgress.FULLY_GRADED
PENDING = GradingProgress.PENDING
COMPLETED = ActivityProgress.COMPLETED
SUBMITTED = ActivityProgress.SUBMITTED


def line_items_for(course_id: int, target_id: int) -> list[LineItem]:
    """The line items a change of one target's grade reaches: its own and the aggregate ones."""
    return [
        *columns.line_items_for_target(course_id, target_id),
        *columns.aggregate_line_items(course_id),
    ]


def grade_comment(record: MasteryRecord, statement: str) -> str:
    """The gradebook comment naming the level, e.g. "Near Mastery (2.65) on 'I can …'"."""
    if record.score is None:
        return f"Not assessed yet on '{statement}'"
    value = (
        f"{record.probability:.0%} likely"
        if record.method == BKT_METHOD and record.probability is not None
        else format_points(record.score)
    )
    if (record.details or {}).get("override") is not None:
        value += ", set by the teacher"
    return f"{record.label} ({value}) on '{statement}'"


def _covered_targets(course_id: int, line_item: LineItem) -> set[int] | None:
    ids = columns.aggregate_target_ids(line_item)
    return set(ids) if ids is not None else None


def send_grades(
    course: Course,
    enrollment: Enrollment,
    changed: Sequence[tuple[LearningTarget, MasteryRecord]],
    line_items: Sequence[LineItem],
    *,
    now: datetime,
    grading_progress: str = FULLY_GRADED,
) -> int:
    """Queue the grades a mastery change affects: per-target and aggregate line items.

    Args:
        course: the course.
        enrollment: the student.
        changed: the (target, record) pairs whose grade changed.
        line_items: the course's line items (per-target and aggregate) to consider.
        now: the current time.
        grading_progress: FullyGraded after an assessment, Pending while evidence waits (sent
            as FullyGraded with the current grade when there is one, so it is never emptied).

    Returns:
        How many scores were queued.
    """
    activity = COMPLETED if grading_progress == FULLY_GRADED else SUBMITTED
    changed_ids = {target.id for target, _ in changed}
    queued = 0
    for line_item in line_items:
        if line_item.passback_mode == PER_TARGET:
            pair = next(((t, r) for t, r in changed if t.id == line_item.target_id), None)
            if pair is None:
                continue
            target, record = pair
            score = None if record.grade is None else record.grade / 100 * line_item.score_maximum
            comment = grade_comment(record, target.statement)
        else:
            covered = _covered_targets(course.id, line_item)
            if covered is not None and not covered & changed_ids:
                continue
            # The course's rule (assessed targets only, or all) and its comment.
            total = aggregates.aggregate_for(course, enrollment.id, line_item)
            if not total.assessed and grading_progress == FULLY_GRADED:
                continue
            score = (
                None
                if total.percent is None
                else round(total.percent / 100 * line_item.score_maximum, 4)
            )
            comment = total.comment
        queue_score(
            course_id=course.id,
            line_item=line_item,
            enrollment=enrollment,
            score_given=None if score is None else round(score, 4),
            score_maximum=line_item.score_maximum,
            comment=comment,
            activity_progress=activity,
            # A hand-in never empties a grade: with a current grade the score says FullyGraded
            # (Moodle keeps scoreGiven only then); Pending goes only where no grade exists yet.
            grading_progress=FULLY_GRADED if score is not None else grading_progress,
            now=now,
        )
        queued += 1
    return queued


def send_current_grades(line_item: LineItem, *, now: datetime) -> int:
    """Queue every student's current grade for a line item that just appeared.

    Grades are queued when they change; a gradebook column found later (the first launch of a
    deep-linked link, or a line item discovered through AGS) would otherwise stay empty for
    grades given before it was known. Active students with a graded record it covers get one
    score each; one query loads the records, aggregate line items read each student's records.

    Returns:
        How many scores were queued.
    """
    course = db.session.get(Course, line_item.course_id)
    if course is None:
        return 0
    query = (
        select(LearningTarget, MasteryRecord)
        .join(MasteryRecord, MasteryRecord.target_id == LearningTarget.id)
        .join(Enrollment, Enrollment.id == MasteryRecord.enrollment_id)
        .where(
            MasteryRecord.course_id == course.id,
            MasteryRecord.grade.is_not(None),
            Enrollment.role == str(CourseRole.STUDENT),
            Enrollment.status == EnrollmentStatus.ACTIVE,
        )
        .order_by(MasteryRecord.enrollment_id, LearningTarget.id)
    )
    if line_item.passback_mode == PER_TARGET:
        query = query.where(LearningTarget.id == line_item.target_id)
    per_student: dict[int, list[tuple[LearningTarget, MasteryRecord]]] = defaultdict(list)
    for target, record in db.session.execute(query).tuples():
        per_student[record.enrollment_id].append((target, record))
    if not per_student:
        return 0
    enrollments = {
        e.id: e
        for e in db.session.scalars(select(Enrollment).where(Enrollment.id.in_(per_student)))
    }
    return sum(
        send_grades(course, enrollments[enrollment_id], changed, [line_item], now=now)
        for enrollment_id, changed in per_student.items()
    )


def mark_pending(enrollment: Enrollment, target: LearningTarget, *, now: datetime) -> int:
    """Tell the gradebook that evidence waits for the teacher (Submitted / Pending).

    The current grade, if any, is kept in the score so the gradebook does not lose it.

    Returns:
        How many scores were queued.
    """
    course = enrollment.course
    record = db.session.scalars(
        select(MasteryRecord).where(
            MasteryRecord.enrollment_id == enrollment.id, MasteryRecord.target_id == target.id
        )
    ).first()
    if record is None:
        record = MasteryRecord(
            course_id=course.id,
            enrollment_id=enrollment.id,
            target_id=target.id,
            method=course_policy(course).target_method(target)[0],
            details={},
            updated_at=now,
        )
    line_items = line_items_for(course.id, target.id)
    return send_grades(
        course, enrollment, [(target, record)], line_items, now=now, grading_progress=PENDING
    )


def record_line_item(
    *, now: datetime | None = None, **line_item: Unpack[LineItemArgs]
) -> LineItem | None:
    """Create or update the LineItem row of a URL; None when its target is not in the course.

    A new row gets the students' current grades queued (`send_current_grades`): grades given
    before the column was known reach it too.
    """
    saved = save_line_item(**line_item)
    if saved is None:
        return None
    item, created = saved
    if created:
        queued = send_current_grades(item, now=now or utcnow())
        if queued:
            logger.info("line item %s: %d current grades queued", item.id, queued)
    return item


def ensure_line_item_from_launch(*, course_id: int, resource_link_row_id: int) -> LineItem | None:
    """Record the LineItem a launch of a deep-linked resource link points at.

    The launch stored the resource link's custom parameters and AGS `lineitem` claim on the
    ResourceLink row; when they name a target (`lti_pl_target`) or targets (`lti_pl_targets`)
    and a line item URL came with it, that URL gets a LineItem row with the passback mode.

    Returns:
        The line item, or None when the link does not pass grades back (or has no URL yet).
    """
    found = columns.link_passback(course_id, resource_link_row_id)
    if found is None or not found[0].line_item_url:
        return None
    link, passback = found
    tag, resource_id = tag_and_resource_id(passback)
    return record_line_item(
        course_id=course_id,
        url=link.line_item_url,
        passback=passback,
        label=link.title,
        resource_id=resource_id,
        tag=tag,
        resource_link_id=link.resource_link_id,
    )


def find_or_create_line_item(
    client: AgsClient,
    *,
    course_id: int,
    line_items_url: str,
    passback: Passback,
    label: str,
    score_maximum: float,
    resource_link_id: str = "",
) -> LineItem | None:
    """A LineItem found by (resource link, resource id, tag) through AGS, or created there.

    For links whose launch carried no `lineitem` claim. Flushes; the caller commits.

    Raises:
        ServiceError: the LMS refused or failed.
    """
    tag, resource_id = tag_and_resource_id(passback)
    found = client.find_line_items(
        line_items_url,
        resource_link_id=resource_link_id or None,
        resource_id=resource_id,
        tag=tag,
    )
    if found:
        data = found[0]
    else:
        data = client.create_line_item(
            line_items_url,
            label=label,
            score_maximum=score_maximum,
            resource_id=resource_id,
            tag=tag,
            resource_link_id=resource_link_id,
        )
    return record_line_item(
        course_id=course_id,
        url=str(data["id"]),
        passback=Passback(
            passback.mode,
            passback.target_id,
            passback.target_ids,
            float(data.get("scoreMaximum") or score_maximum),
        ),
        label=str(data.get("label") or label),
        resource_id=resource_id,
        tag=tag,
        resource_link_id=resource_link_id,
        from_launch=False,
    )
