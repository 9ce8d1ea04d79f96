"""Reassessment requests: may a student ask, the asking, the queue, progress per target."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import joinedload

from lti_pl.domain.errors import InvalidInputError, NotAllowedError
from lti_pl.domain.evidence import (
    Decision,
    ReassessmentPolicy,
    RequestStatus,
    can_request_reassessment,
)
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import (
    Assessment,
    Evidence,
    MasteryRecord,
    ReassessmentRequest,
    RelearningLog,
)
from lti_pl.models.targets import LearningTarget
from lti_pl.models.teaching import MasteryOverride
from lti_pl.services import (
    descriptors,
    mastery,
    overrides,
    relearning,
)
from lti_pl.services.courses import course_scale, reassessment_policy
from lti_pl.services.lookups import in_course
from lti_pl.services.targets import list_targets, target_in_course, targets_query
from lti_pl.services.uploads import UploadLimits as UploadLimits

logger = logging.getLogger(__name__)
PENDING = RequestStatus.PENDING
ASSESSED = RequestStatus.ASSESSED
DECLINED = RequestStatus.DECLINED
REFLECTION = "reflection"
PRACTICE = "practice_activity"
TEACHER = "teacher"
STUDENT = "student"


def require_role(actor: Enrollment, role: str) -> None:
    """Refuse an actor whose course role is not `role` (NotAllowedError)."""
    if actor.role != role:
        raise NotAllowedError("This is not available for your role in this course.")


def last_assessment(enrollment_id: int, target_id: int) -> Assessment | None:
    """The student's latest assessment on the target, or None."""
    return db.session.scalars(
        select(Assessment)
        .where(Assessment.enrollment_id == enrollment_id, Assessment.target_id == target_id)
        .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
        .limit(1)
    ).first()


def last_assessed_at(enrollment_id: int, target_id: int) -> datetime | None:
    """When the student was last assessed on the target (None: never)."""
    last = last_assessment(enrollment_id, target_id)
    return last.assessed_at if last is not None else None


def request_decision(student: Enrollment, target: LearningTarget, *, now: datetime) -> Decision:
    """Whether the student may say "I'm ready to be assessed" now, and why (not)."""
    return _decision_on(student, target.id, assessments_for(student.id, target.id), now=now)


def _decision_on(
    student: Enrollment, target_id: int, assessments: list[Assessment], *, now: datetime
) -> Decision:
    """The decision on one target, given the student's assessments there (newest first)."""
    history = _request_histories(student.id, target_id).get(target_id, _RequestHistory())
    return _decide(
        reassessment_policy(student.course),
        course_scale(student.course),
        history,
        assessments,
        now=now,
    )


@dataclass
class _RequestHistory:
    """What the reassessment rules read of one student's requests and relearning on a target."""

    pending: int = 0
    attempts: int = 0  # reassessments made (assessed requests that were reassessments)
    relearning: list[tuple[str, datetime]] = field(default_factory=list)  # (kind, logged_at)


def _request_histories(student_id: int, target_id: int | None = None) -> dict[int, _RequestHistory]:
    """The student's request history per target (of one target with `target_id`): 2 queries."""
    counts = select(
        ReassessmentRequest.target_id,
        func.sum(case((ReassessmentRequest.status == PENDING, 1), else_=0)),
        func.sum(
            case(
                (
                    and_(
                        ReassessmentRequest.is_reassessment.is_(True),
                        ReassessmentRequest.status == ASSESSED,
                    ),
                    1,
                ),
                else_=0,
            )
        ),
    ).where(ReassessmentRequest.enrollment_id == student_id)
    logs = select(RelearningLog.target_id, RelearningLog.kind, RelearningLog.logged_at).where(
        RelearningLog.enrollment_id == student_id
    )
    if target_id is not None:
        counts = counts.where(ReassessmentRequest.target_id == target_id)
        logs = logs.where(RelearningLog.target_id == target_id)
    histories: dict[int, _RequestHistory] = defaultdict(_RequestHistory)
    for target, pending, attempts in db.session.execute(
        counts.group_by(ReassessmentRequest.target_id)
    ):
        histories[target].pending = int(pending or 0)
        histories[target].attempts = int(attempts or 0)
    for target, kind, logged_at in db.session.execute(logs):
        histories[target].relearning.append((kind, logged_at))
    return histories


def _decide(
    policy: ReassessmentPolicy,
    scale: MasteryScale,
    history: _RequestHistory,
    assessments: list[Assessment],
    *,
    now: datetime,
) -> Decision:
    """`can_request_reassessment` on one target's history (assessments newest first)."""
    last = assessments[0] if assessments else None
    since = last.assessed_at if last is not None else None
    kinds = (
        {kind for kind, logged_at in history.relearning if logged_at > since}
        if since is not None
        else set()
    )
    return can_request_reassessment(
        policy,
        attempts_so_far=history.attempts,
        last_assessed_at=since,
        last_score=last.score if last is not None else None,
        scale=scale,
        relearning_logged_since_last=REFLECTION in kinds,
        has_practice_done_since_last=PRACTICE in kinds,
        pending_request=bool(history.pending),
        now=now,
    )


def assessment_queue(actor: Enrollment) -> list[ReassessmentRequest]:
    """Pending "ready to be assessed" requests of the teacher's course, oldest first."""
    require_role(actor, TEACHER)
    return list(
        db.session.scalars(
            select(ReassessmentRequest)
            .where(
                ReassessmentRequest.course_id == actor.course_id,
                ReassessmentRequest.status == PENDING,
            )
            # The queue names each request's student and target: in this one query.
            .options(
                joinedload(ReassessmentRequest.enrollment), joinedload(ReassessmentRequest.target)
            )
            .order_by(ReassessmentRequest.requested_at, ReassessmentRequest.id)
        )
    )


def queue_count(course_id: int) -> int:
    """How many requests wait for the teacher."""
    return int(
        db.session.scalar(
            select(func.count(ReassessmentRequest.id)).where(
                ReassessmentRequest.course_id == course_id,
                ReassessmentRequest.status == PENDING,
            )
        )
        or 0
    )


def evidence_for(student_id: int, target_id: int) -> list[Evidence]:
    """A student's evidence on a target, newest first."""
    return _evidence_by_target(student_id, target_id).get(target_id, [])


def assessments_for(student_id: int, target_id: int) -> list[Assessment]:
    """A student's assessments on a target, newest first."""
    return _assessments_by_target(student_id, target_id).get(target_id, [])


def _evidence_by_target(student_id: int, target_id: int | None = None) -> dict[int, list[Evidence]]:
    """A student's evidence per target (one target's with `target_id`), newest first: 1 query."""
    return _by_target(
        Evidence, (Evidence.submitted_at.desc(), Evidence.id.desc()), student_id, target_id
    )


def _assessments_by_target(
    student_id: int, target_id: int | None = None
) -> dict[int, list[Assessment]]:
    """A student's assessments per target (one target's with `target_id`), newest first."""
    return _by_target(
        Assessment, (Assessment.assessed_at.desc(), Assessment.id.desc()), student_id, target_id
    )


def _by_target(
    model: Any, order_by: tuple[Any, ...], student_id: int, target_id: int | None
) -> dict[int, list[Any]]:
    query = select(model).where(model.enrollment_id == student_id)
    if target_id is not None:
        query = query.where(model.target_id == target_id)
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.scalars(query.order_by(*order_by)):
        grouped[row.target_id].append(row)
    return grouped


def get_request(actor: Enrollment, request_id: int) -> ReassessmentRequest:
    """A request of the teacher's course.

    Raises:
        NotFoundError: not in the actor's course.
    """
    require_role(actor, TEACHER)
    return in_course(
        ReassessmentRequest,
        request_id,
        actor.course_id,
        "This request does not exist in this course.",
    )


def decline_request(actor: Enrollment, request_id: int, *, now: datetime) -> ReassessmentRequest:
    """Decline a pending request (the student may ask again)."""
    request = get_request(actor, request_id)
    if request.status != PENDING:
        raise InvalidInputError("This request was already handled.", field="request")
    request.status = DECLINED
    request.resolved_at = now
    db.session.flush()
    return request


@dataclass(frozen=True)
class TargetProgress:
    """One target as a student sees it.

    Attributes:
        target: the target.
        record: the student's mastery record, or None before any assessment.
        evidence: their evidence, newest first.
        assessments: their assessments (scores and feedback), newest first.
        decision: whether they may say "I'm ready" now, and why (not).
        needs_relearning: assessed below mastery.
        relearning: what they logged to relearn, newest first (target page only).
        overrides: levels the teacher set by hand, newest first (target page only).
        levels: the scale's levels with the target's descriptions (target page only).
    """

    target: LearningTarget
    record: MasteryRecord | None
    evidence: list[Evidence]
    assessments: list[Assessment]
    decision: Decision
    needs_relearning: bool
    relearning: list[relearning.RelearningEntry] = field(default_factory=list)
    overrides: list[MasteryOverride] = field(default_factory=list)
    levels: list[descriptors.DescribedLevel] = field(default_factory=list)


def student_progress(student: Enrollment, *, now: datetime) -> list[TargetProgress]:
    """The student's view of every active target of their course, in a fixed number of queries."""
    records = mastery.records_for(student.id)
    evidence = _evidence_by_target(student.id)
    assessments = _assessments_by_target(student.id)
    histories = _request_histories(student.id)
    policy, scale = reassessment_policy(student.course), course_scale(student.course)
    progress = []
    for target in list_targets(student.course_id, with_units=True):
        record = records.get(target.id)
        progress.append(
            TargetProgress(
                target=target,
                record=record,
                evidence=evidence.get(target.id, []),
                assessments=assessments.get(target.id, []),
                decision=_decide(
                    policy,
                    scale,
                    histories.get(target.id, _RequestHistory()),
                    assessments.get(target.id, []),
                    now=now,
                ),
                needs_relearning=bool(
                    record and record.score is not None and not record.is_mastered
                ),
            )
        )
    return progress


@dataclass(frozen=True)
class TargetLevel:
    """A target and the student's mastery record on it (None before any assessment)."""

    target: LearningTarget
    record: MasteryRecord | None


# Built once (the course home reads it on every view): its cache key stays on the statement.
_STUDENT_LEVELS = (
    targets_query(bindparam("course_id"))
    .add_columns(MasteryRecord)
    .outerjoin(
        MasteryRecord,
        and_(
            MasteryRecord.target_id == LearningTarget.id,
            MasteryRecord.enrollment_id == bindparam("enrollment_id"),
        ),
    )
)


def student_levels(student: Enrollment) -> list[TargetLevel]:
    """The student's level on every active target, in teaching order (the course home): 1 query."""
    rows = db.session.execute(
        _STUDENT_LEVELS, {"course_id": student.course_id, "enrollment_id": student.id}
    )
    return [TargetLevel(target, record) for target, record in rows]


def target_progress(student: Enrollment, target_id: int, *, now: datetime) -> TargetProgress:
    """One target as the student sees it.

    Raises:
        NotFoundError: not a target of the student's course.
    """
    target = target_in_course(student.course_id, target_id)
    record = mastery.records_for(student.id).get(target.id)
    assessments = assessments_for(student.id, target.id)
    return TargetProgress(
        target=target,
        record=record,
        evidence=evidence_for(student.id, target.id),
        assessments=assessments,
        decision=_decision_on(student, target.id, assessments, now=now),
        needs_relearning=bool(record and record.score is not None and not record.is_mastered),
        relearning=relearning.for_target(
            student.id, target.id, assessments[0].assessed_at if assessments else None
        ),
        overrides=overrides.history(student.id, target.id),
        levels=descriptors.described_levels(target.id, course_scale(student.course)),
    )
