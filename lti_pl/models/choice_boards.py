"""Choice boards, their activities, and each student's progress and assignments on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_pl.models.base import Base, utcnow
from lti_pl.models.courses import Course
from lti_pl.models.targets import LearningTarget


class ChoiceBoard(Base):
    """A board of activities for one learning target (or unit) of a course."""

    __tablename__ = "choice_board"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_target.id", ondelete="SET NULL")
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    layout: Mapped[str] = mapped_column(String(20), default="menu")  # a BoardLayout value
    choose_n: Mapped[int] = mapped_column(default=0)
    # Students see a board once the teacher publishes it; publishing checks every board rule.
    is_published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    target: Mapped[LearningTarget | None] = relationship()
    activities: Mapped[list[Activity]] = relationship(
        back_populates="board",
        cascade="all, delete-orphan",
        order_by="(Activity.position, Activity.id)",
    )


class Activity(Base):
    """One thing a student can do on a board."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(
        ForeignKey("choice_board.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on render
    link_url: Mapped[str] = mapped_column(String(2000), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    stored_name: Mapped[str] = mapped_column(String(100), default="")  # random name on disk
    content_type: Mapped[str] = mapped_column(String(100), default="")
    modality: Mapped[str] = mapped_column(String(20))  # a Modality value
    interests: Mapped[list[Any]] = mapped_column(default=list)  # lower-case tags
    readiness: Mapped[str] = mapped_column(String(20))  # a Readiness value
    minutes: Mapped[int] = mapped_column(default=15)
    station: Mapped[str | None] = mapped_column(String(20))  # a StationType value
    requirement: Mapped[str] = mapped_column(String(10), default="may_do")  # a Requirement value
    position: Mapped[int] = mapped_column(default=0)

    board: Mapped[ChoiceBoard] = relationship(back_populates="activities")


class ActivityProgress(Base):
    """Where one student is with one activity, and what they reflected."""

    __tablename__ = "activity_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="not_started")  # ActivityStatus
    reflection: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityAssignment(Base):
    """A teacher assigned an activity to a student (used when the student's dial is "assigned")."""

    __tablename__ = "activity_assignment"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "activity_id"),
        Index("ix_activity_assignment_activity", "activity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
