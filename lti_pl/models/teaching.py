"""The teaching loop's records: teacher overrides, the grade audit trail, level descriptors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_pl.models.base import Base, utcnow


class MasteryOverride(Base):
    """A level a teacher set by hand for one student on one target, with the reason.

    Active while `released_at` is None; released by the teacher or by the next assessment
    (`release_cause` "teacher" or "new_evidence"). Rows are kept after release as history.
    """

    __tablename__ = "mastery_override"
    __table_args__ = (Index("ix_mastery_override_pair", "enrollment_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    points: Mapped[float] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column()
    released_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    release_cause: Mapped[str] = mapped_column(String(20), default="")


class GradeAuditEntry(Base):
    """One teacher action that changed (or re-sent) a grade: who, when, what, why.

    `actor_id` and `student_id` are enrollment ids, never names: the page resolves them.
    """

    __tablename__ = "grade_audit_entry"
    __table_args__ = (Index("ix_grade_audit_course_at", "course_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id", ondelete="SET NULL"))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id", ondelete="SET NULL"))
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_target.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(30))  # an AuditAction value
    detail: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LevelDescriptor(Base):
    """What work at one level of the scale looks like on one target (a single-point rubric)."""

    __tablename__ = "level_descriptor"
    __table_args__ = (UniqueConstraint("target_id", "points"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    points: Mapped[float] = mapped_column()
    text: Mapped[str] = mapped_column(Text)


class ReleaseRule(Base):
    """Mastery-based release: an activity assigned when a level on a target enters a range.

    E.g. below mastery (0..1) on a target -> a re-teach activity; near (2) -> practice;
    mastered (3..4) -> an extension. The activity is on one of the course's boards.
    """

    __tablename__ = "release_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    min_points: Mapped[float] = mapped_column()
    max_points: Mapped[float] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AutoAssignment(Base):
    """An activity a release rule assigned to a student, kept so the teacher can undo it."""

    __tablename__ = "auto_assignment"
    __table_args__ = (Index("ix_auto_assignment_course_at", "course_id", "assigned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("release_rule.id", ondelete="SET NULL"))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    level_points: Mapped[float] = mapped_column()
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column()
    undone_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
