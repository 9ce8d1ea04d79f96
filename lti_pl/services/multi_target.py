"""One piece of evidence assessed on each target it shows, in one go (a project, a portfolio)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import Assessment, Evidence, MasteryRecord
from lti_pl.models.targets import LearningTarget
from lti_pl.services import descriptors, mastery
from lti_pl.services.courses import course_scale
from lti_pl.services.evidence import assess, parse_score
from lti_pl.services.lookups import in_course
from lti_pl.services.targets import list_targets


@dataclass(frozen=True)
class TargetRow:
    """One target on the multi-target form."""

    target: LearningTarget
    record: MasteryRecord | None
    levels: list[descriptors.DescribedLevel]
    is_submitted_for: bool


def _evidence(actor: Enrollment, evidence_id: int) -> Evidence:
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers assess evidence.")
    return in_course(
        Evidence, evidence_id, actor.course_id, "This evidence does not exist in this course."
    )


def target_rows(actor: Enrollment, evidence_id: int) -> tuple[Evidence, list[TargetRow]]:
    """The evidence and every active target of the course, the one it was submitted for first.

    Raises:
        NotFoundError: the evidence is not in the actor's course.
    """
    evidence = _evidence(actor, evidence_id)
    scale = course_scale(actor.course)
    records = mastery.records_for(evidence.enrollment_id)
    targets = sorted(list_targets(actor.course_id), key=lambda t: t.id != evidence.target_id)
    levels = descriptors.described_levels_of((t.id for t in targets), scale)
    return evidence, [
        TargetRow(t, records.get(t.id), levels[t.id], t.id == evidence.target_id) for t in targets
    ]


def assess_on_targets(
    actor: Enrollment,
    evidence_id: int,
    scores: Mapping[int, str],
    comment: str,
    *,
    now: datetime,
) -> list[Assessment]:
    """Score the evidence on each target given (blank scores skipped); all or nothing.

    Raises:
        InvalidInputError: field "scores": nothing scored, or a score off the scale (nothing
            is saved then).
        NotFoundError: the evidence or a target is not in the course.
    """
    evidence = _evidence(actor, evidence_id)
    scale = course_scale(actor.course)
    active = {t.id for t in list_targets(actor.course_id)}
    chosen: dict[int, float] = {}
    for target_id, text in scores.items():
        if not str(text).strip():
            continue
        if target_id not in active:
            raise NotFoundError("That target is not in this course.")
        try:
            chosen[target_id] = parse_score(text, scale)
        except InvalidInputError as error:
            raise InvalidInputError(str(error), field="scores") from None
    if not chosen:
        raise InvalidInputError("Choose a level on at least one target.", field="scores")
    return [
        assess(
            actor,
            evidence.enrollment_id,
            target_id,
            score=value,
            comment=comment,
            evidence_id=evidence.id,
            now=now,
            any_target=True,
        )
        for target_id, value in sorted(chosen.items())
    ]
