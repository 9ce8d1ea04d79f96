"""Evidence, assessments, reassessment requests, relearning logs, and the current mastery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_pl.models.base import Base, utcnow
from lti_pl.models.courses import Enrollment
from lti_pl.models.targets import LearningTarget


class Evidence(Base):
    """Something a student submitted for a target: text, a link or a file."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_enrollment_target", "enrollment_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # an EvidenceKind value
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    stored_name: Mapped[str] = mapped_column(String(100), default="")  # random name on disk
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrollment: Mapped[Enrollment] = relationship()
    target: Mapped[LearningTarget] = relationship()


class Assessment(Base):
    """A dated score on the scale for one student and target (the mastery engine's input)."""

    __tablename__ = "assessment"
    __table_args__ = (Index("ix_assessment_enrollment_target", "enrollment_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="SET NULL"))
    assessor_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    score: Mapped[float] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    rubric_notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="evidence")  # evidence, quick_grid
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the work was done (the evidence's submission, or a date the teacher corrected);
    # None: the assessment's date. The mastery engine orders scores by it.
    work_done_at: Mapped[datetime | None] = mapped_column()

    target: Mapped[LearningTarget] = relationship()


class ReassessmentRequest(Base):
    """A student's "I'm ready to be assessed" (first time or again) on a target."""

    __tablename__ = "reassessment_request"
    __table_args__ = (Index("ix_reassessment_course_status", "course_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending, assessed, declined
    is_reassessment: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()

    enrollment: Mapped[Enrollment] = relationship()
    target: Mapped[LearningTarget] = relationship()


class RelearningLog(Base):
    """Relearning a student logged after a score below mastery (reflection or practice)."""

    __tablename__ = "relearning_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # reflection, practice_activity
    text: Mapped[str] = mapped_column(Text, default="")
    activity_id: Mapped[int | None] = mapped_column()
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)


class MasteryRecord(Base):
    """The current mastery of one student on one target, recomputed after each assessment.

    Kept as a row so the data wall reads one table instead of re-running the engine.
    """

    __tablename__ = "mastery_record"
    __table_args__ = (UniqueConstraint("enrollment_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(40))
    score: Mapped[float | None] = mapped_column()
    level_points: Mapped[float | None] = mapped_column()
    label: Mapped[str] = mapped_column(String(100), default="")
    color: Mapped[str] = mapped_column(String(7), default="")  # the level's colour, with label
    # The converted percentage grade (the course's grade table), None without evidence.
    grade: Mapped[float | None] = mapped_column()
    is_mastered: Mapped[bool] = mapped_column(default=False)
    next_score_to_master: Mapped[float | None] = mapped_column()
    explanation: Mapped[str] = mapped_column(Text, default="")
    probability: Mapped[float | None] = mapped_column()
    evidence_count: Mapped[int] = mapped_column(default=0)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrollment: Mapped[Enrollment] = relationship()
    target: Mapped[LearningTarget] = relationship()
