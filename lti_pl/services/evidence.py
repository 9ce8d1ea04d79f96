"""Evidence, "ready to be assessed" requests, assessments, relearning and the quick grid."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lti_pl.domain.audit import AuditAction
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.domain.evidence import (
    EvidenceKind,
    validate_submission,
)
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment, ObserverLink
from lti_pl.models.evidence import (
    Assessment,
    Evidence,
    MasteryRecord,
    ReassessmentRequest,
    RelearningLog,
)
from lti_pl.models.targets import LearningTarget
from lti_pl.services import (
    audit,
    grade_passback,
    mastery,
    overrides,
    quotas,
    uploads,
)
from lti_pl.services.courses import course_scale
from lti_pl.services.enrollments import course_students, student_in_course
from lti_pl.services.reassessment import (
    ASSESSED,
    PENDING,
    PRACTICE,
    REFLECTION,
    STUDENT,
    TEACHER,
    last_assessment,
    request_decision,
    require_role,
)
from lti_pl.services.targets import target_in_course
from lti_pl.services.uploads import UploadLimits as UploadLimits

logger = logging.getLogger(__name__)

OBSERVER = "observer"


def submit_evidence(
    actor: Enrollment,
    target_id: int,
    *,
    kind: str,
    text: str,
    url: str,
    upload: uploads.IncomingFile | None,
    limits: UploadLimits,
    now: datetime,
) -> Evidence:
    """Store a student's evidence for a target (text, link or file).

    Raises:
        NotAllowedError: the actor is not a student.
        NotFoundError: the target is not in the actor's course (or archived).
        InvalidInputError: with field "kind", "text", "url" or "file".
    """
    require_role(actor, STUDENT)
    target = target_in_course(actor.course_id, target_id)
    if target.is_archived:
        raise NotFoundError("This learning target is archived.")
    try:
        evidence_kind = EvidenceKind(kind)
    except ValueError:
        raise InvalidInputError("Choose text, a link or a file.", field="kind") from None
    stored: uploads.StoredFile | None = None
    if evidence_kind is EvidenceKind.FILE:
        if upload is None or not upload.filename:
            raise InvalidInputError("Choose a file to upload.", field="file")
        stored = uploads.save_upload(
            upload, limits.folder, max_bytes=limits.max_bytes, allowed_types=limits.allowed_types
        )
    try:
        if stored is not None:
            quotas.check_evidence_quota(
                actor,
                stored.size,
                student_quota=limits.student_quota_bytes,
                course_quota=limits.course_quota_bytes,
            )
        submission = validate_submission(
            evidence_kind,
            text,
            url,
            upload.filename if upload is not None and stored is not None else None,
            stored.size if stored else None,
            stored.content_type if stored else None,
            max_bytes=limits.max_bytes,
            allowed_types=limits.allowed_types,
        )
    except InvalidInputError:
        if stored is not None:
            uploads.remove(limits.folder, stored.stored_name)
        raise
    evidence = Evidence(
        course_id=actor.course_id,
        enrollment_id=actor.id,
        target_id=target.id,
        kind=str(submission.kind),
        text=submission.text or "",
        url=submission.url or "",
        filename=submission.filename or "",
        stored_name=stored.stored_name if stored else "",
        content_type=stored.content_type if stored else "",
        size=stored.size if stored else 0,
        submitted_at=now,
    )
    db.session.add(evidence)
    db.session.flush()
    logger.info("evidence submitted evidence=%s target=%s", evidence.id, target.id)
    return evidence


def request_reassessment(
    actor: Enrollment, target_id: int, note: str, *, now: datetime
) -> ReassessmentRequest:
    """Record "I'm ready to be assessed" (a reassessment if already assessed).

    The gradebook shows the target as Submitted / Pending until the teacher assesses.

    Raises:
        NotAllowedError: the policy refuses; the message says why.
        NotFoundError: the target is not in the actor's course.
    """
    require_role(actor, STUDENT)
    target = target_in_course(actor.course_id, target_id)
    if target.is_archived:
        raise NotFoundError("This learning target is archived.")
    decision = request_decision(actor, target, now=now)
    if not decision.is_allowed:
        raise NotAllowedError(decision.reason)
    note = note.strip()
    if len(note) > 2000:
        raise InvalidInputError("Keep your note to 2,000 characters.", field="note")
    request = ReassessmentRequest(
        course_id=actor.course_id,
        enrollment_id=actor.id,
        target_id=target.id,
        note=note,
        status=PENDING,
        is_reassessment=last_assessment(actor.id, target.id) is not None,
        requested_at=now,
    )
    db.session.add(request)
    db.session.flush()
    grade_passback.mark_pending(actor, target, now=now)
    logger.info("assessment requested request=%s target=%s", request.id, target.id)
    return request


def log_reflection(actor: Enrollment, target_id: int, text: str, *, now: datetime) -> RelearningLog:
    """Log a written reflection on what the student relearned.

    Raises:
        InvalidInputError: the text is empty or too long.
    """
    require_role(actor, STUDENT)
    target = target_in_course(actor.course_id, target_id)
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInputError("Write what you relearned and how.", field="reflection")
    if len(cleaned) > 10_000:
        raise InvalidInputError("Keep your reflection to 10,000 characters.", field="reflection")
    log = RelearningLog(
        enrollment_id=actor.id, target_id=target.id, kind=REFLECTION, text=cleaned, logged_at=now
    )
    db.session.add(log)
    db.session.flush()
    return log


def log_practice(
    enrollment_id: int, target_id: int, activity_id: int | None, now: datetime
) -> RelearningLog:
    """Record that a student finished a practice activity for a target (choice boards call this).

    Raises:
        NotFoundError: the enrollment and target are not in one course.
    """
    student = db.session.get(Enrollment, enrollment_id)
    target = db.session.get(LearningTarget, target_id)
    if student is None or target is None or student.course_id != target.course_id:
        raise NotFoundError("That student or target is not in this course.")
    log = RelearningLog(
        enrollment_id=enrollment_id,
        target_id=target_id,
        kind=PRACTICE,
        activity_id=activity_id,
        logged_at=now,
    )
    db.session.add(log)
    db.session.flush()
    return log


def parse_score(text: str | float, scale: MasteryScale, field: str = "score") -> float:
    """A score typed by the teacher, on the scale.

    Raises:
        InvalidInputError: not a number or off the scale.
    """
    try:
        score = float(text)
    except (TypeError, ValueError):
        raise InvalidInputError("Give a score as a number.", field=field) from None
    if not math.isfinite(score) or not scale.min_points <= score <= scale.max_points:
        raise InvalidInputError(
            f"Scores go from {scale.min_points:g} to {scale.max_points:g}.", field=field
        )
    return score


def assess(
    actor: Enrollment,
    student_id: int,
    target_id: int,
    *,
    score: str | float,
    comment: str,
    rubric_notes: str = "",
    evidence_id: int | None = None,
    now: datetime,
    source: str = "evidence",
    any_target: bool = False,
) -> Assessment:
    """Score a student's evidence on a target, resolve their pending request, recompute mastery.

    The assessment's work date is the evidence's submission (the engine orders by it); the
    assessment is audited and releases a level the teacher set by hand on this target.
    `any_target` lets one piece of evidence be assessed on a target it was not submitted for
    (a project that shows several targets).

    Raises:
        NotAllowedError: the actor is not a teacher.
        NotFoundError: the student, target or evidence is not in the actor's course.
        InvalidInputError: the score is off the scale.
    """
    require_role(actor, TEACHER)
    student = student_in_course(actor.course_id, student_id)
    target = target_in_course(actor.course_id, target_id)
    value = parse_score(score, course_scale(actor.course))
    evidence = None
    if evidence_id is not None:
        evidence = db.session.get(Evidence, evidence_id)
        if (
            evidence is None
            or evidence.enrollment_id != student.id
            or (evidence.target_id != target.id and not any_target)
        ):
            raise NotFoundError("That evidence is not this student's on this target.")
    assessment = Assessment(
        course_id=actor.course_id,
        enrollment_id=student.id,
        target_id=target.id,
        evidence_id=evidence_id,
        assessor_id=actor.id,
        score=value,
        comment=comment.strip(),
        rubric_notes=rubric_notes.strip(),
        source=source,
        assessed_at=now,
        work_done_at=evidence.submitted_at if evidence is not None else None,
    )
    db.session.add(assessment)
    for request in db.session.scalars(
        select(ReassessmentRequest).where(
            ReassessmentRequest.enrollment_id == student.id,
            ReassessmentRequest.target_id == target.id,
            ReassessmentRequest.status == PENDING,
        )
    ):
        request.status = ASSESSED
        request.resolved_at = now
    db.session.flush()
    # New evidence releases a level the teacher set by hand (domain/overrides.py says why).
    overrides.release_on_new_assessment(student.id, target.id, assessed_at=now, actor_id=actor.id)
    audit.record(
        actor.course_id,
        actor.id,
        AuditAction.ASSESSMENT,
        student_id=student.id,
        target_id=target.id,
        detail=f"score {value:g} ({source})",
        now=now,
    )
    mastery.recompute(student.id, target.id, now=now, assessed=True)
    logger.info("assessed assessment=%s target=%s", assessment.id, target.id)
    return assessment


def save_quick_grid(
    actor: Enrollment, cells: Mapping[tuple[int, int], str], comment: str, *, now: datetime
) -> int:
    """Save many direct scores at once (students × targets); blank cells are skipped.

    Every cell is checked first; nothing is saved if any is invalid.

    Args:
        actor: the teacher.
        cells: (student enrollment id, target id) to the typed score.
        comment: a comment for every saved score (e.g. "Station check").
        now: the current time.

    Returns:
        How many scores were saved.

    Raises:
        InvalidInputError: field "grid", naming every bad cell.
        NotFoundError: a student or target is not in the course.
    """
    require_role(actor, TEACHER)
    scale = course_scale(actor.course)
    parsed: dict[tuple[int, int], float] = {}
    errors: list[str] = []
    for (student_id, target_id), text in sorted(cells.items()):
        if not str(text).strip():
            continue
        student_in_course(actor.course_id, student_id)
        target_in_course(actor.course_id, target_id)
        try:
            parsed[(student_id, target_id)] = parse_score(text, scale)
        except InvalidInputError as error:
            errors.append(f"{text!r} ({error})")
    if errors:
        raise InvalidInputError("Nothing was saved. Fix: " + "; ".join(errors), field="grid")
    for (student_id, target_id), value in parsed.items():
        assess(
            actor, student_id, target_id, score=value, comment=comment, now=now, source="quick_grid"
        )
    return len(parsed)


@dataclass(frozen=True)
class StudentRow:
    """One student's row of the quick grid, to score one student at a time (on a phone).

    `students` is the grid's order (by name); `previous` and `following` are None at its ends.
    """

    student: Enrollment
    students: list[Enrollment]
    records: dict[int, MasteryRecord]

    @property
    def position(self) -> int:
        """The student's place in the grid, from 1."""
        return self.students.index(self.student) + 1

    @property
    def previous(self) -> Enrollment | None:
        """The student before in the grid."""
        index = self.position - 1
        return self.students[index - 1] if index > 0 else None

    @property
    def following(self) -> Enrollment | None:
        """The student after in the grid (`next` is a builtin)."""
        index = self.position - 1
        return self.students[index + 1] if index + 1 < len(self.students) else None


def quick_grid_row(actor: Enrollment, student_id: int | None) -> StudentRow | None:
    """A student's row of the quick grid with their levels now; the first student's by default.

    Returns:
        None when the course has no students.

    Raises:
        NotFoundError: the student is not one of the course's students (another course's id,
            a teacher's, a deleted enrollment).
    """
    require_role(actor, TEACHER)
    students = course_students(actor.course_id)
    if not students:
        return None
    if student_id is None:
        student = students[0]
    else:
        found = [s for s in students if s.id == student_id]
        if not found:
            raise NotFoundError("That student is not in this course.")
        student = found[0]
    return StudentRow(student, students, mastery.records_for(student.id))


def can_read_work_of(actor: Enrollment, student_id: int) -> bool:
    """Whether the actor may read a student's work: themselves, a teacher, a linked observer."""
    if actor.id == student_id:
        return True
    student = db.session.get(Enrollment, student_id)
    if student is None or student.course_id != actor.course_id:
        return False
    if actor.role == TEACHER:
        return True
    if actor.role == OBSERVER:
        return (
            db.session.scalar(
                select(func.count(ObserverLink.id)).where(
                    ObserverLink.observer_id == actor.id, ObserverLink.student_id == student_id
                )
            )
            or 0
        ) > 0
    return False


def get_evidence(actor: Enrollment, evidence_id: int) -> Evidence:
    """Evidence the actor may read.

    Raises:
        NotFoundError: no such evidence, or not the actor's to read (never 403: that would
            confirm it exists).
    """
    evidence = db.session.get(Evidence, evidence_id)
    if (
        evidence is None
        or evidence.course_id != actor.course_id
        or not can_read_work_of(actor, evidence.enrollment_id)
    ):
        raise NotFoundError("This evidence does not exist.")
    return evidence


#: A stored evidence file ready to serve (path, content type, download name).
EvidenceFile = uploads.DownloadFile


def evidence_file(actor: Enrollment, evidence_id: int, folder: str) -> EvidenceFile:
    """The file of a piece of evidence the actor may read.

    Raises:
        NotFoundError: not readable by the actor, not a file, or missing on disk.
    """
    evidence = get_evidence(actor, evidence_id)
    if evidence.kind != EvidenceKind.FILE or not evidence.stored_name:
        raise NotFoundError("This evidence has no file.")
    return uploads.download(
        folder, evidence.stored_name, evidence.content_type, evidence.filename or "evidence"
    )
