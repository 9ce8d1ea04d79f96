"""Everything a teacher needs to stand behind a student's level on one target, in one view."""

from __future__ import annotations

from dataclasses import dataclass

from lti_pl.domain.errors import NotAllowedError
from lti_pl.domain.evidence_order import work_date
from lti_pl.domain.targets import MasteryScale
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import Assessment, Evidence, MasteryRecord
from lti_pl.models.targets import LearningTarget
from lti_pl.models.teaching import MasteryOverride
from lti_pl.services import audit, descriptors, mastery, overrides, relearning
from lti_pl.services.courses import course_scale
from lti_pl.services.enrollments import student_in_course
from lti_pl.services.reassessment import assessments_for, evidence_for
from lti_pl.services.targets import target_in_course


@dataclass(frozen=True)
class LevelReview:
    """One student on one target, as the teacher's level page shows it.

    Attributes:
        student: the student's enrollment.
        target: the target.
        scale: the course's scale.
        record: the current mastery record (None before any assessment or override).
        active: the override that holds now, if any.
        overrides: every override, newest first.
        relearning: what the student logged, newest first.
        assessments: scores, the latest work first (the order the engine uses, reversed).
        evidence: the student's evidence on the target, newest first.
        levels: the scale with the target's level descriptions.
        trail: the audit entries of this student on this target, newest first.
    """

    student: Enrollment
    target: LearningTarget
    scale: MasteryScale
    record: MasteryRecord | None
    active: MasteryOverride | None
    overrides: list[MasteryOverride]
    relearning: list[relearning.RelearningEntry]
    assessments: list[Assessment]
    evidence: list[Evidence]
    levels: list[descriptors.DescribedLevel]
    trail: list[audit.AuditRow]


def review(actor: Enrollment, student_id: int, target_id: int) -> LevelReview:
    """The level page's data.

    Raises:
        NotAllowedError: the actor is not a teacher.
        NotFoundError: the student or target is not in the actor's course.
    """
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers see this page.")
    student = student_in_course(actor.course_id, student_id)
    target = target_in_course(actor.course_id, target_id)
    assessments = assessments_for(student.id, target.id)
    scale = course_scale(actor.course)
    return LevelReview(
        student=student,
        target=target,
        scale=scale,
        record=mastery.records_for(student.id).get(target.id),
        active=overrides.active_override(student.id, target.id),
        overrides=overrides.history(student.id, target.id),
        relearning=relearning.for_target(
            student.id, target.id, assessments[0].assessed_at if assessments else None
        ),
        assessments=sorted(
            assessments,
            key=lambda a: (work_date(a.work_done_at, a.assessed_at), a.id),
            reverse=True,
        ),
        evidence=evidence_for(student.id, target.id),
        levels=descriptors.described_levels(target.id, scale),
        trail=audit.course_trail(actor, student_id=student.id, target_id=target.id, limit=100),
    )
