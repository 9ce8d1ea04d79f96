"""Learning profiles, self-assessments, goals, learning paths and saved station plans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_pl.models.base import Base, utcnow


class LearningProfile(Base):
    """What a student told us about how they like to learn (one per enrollment)."""

    __tablename__ = "learning_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), unique=True
    )
    interests: Mapped[list[Any]] = mapped_column(default=list)
    modalities: Mapped[list[Any]] = mapped_column(default=list)  # Modality values
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SelfAssessmentEntry(Base):
    """A student's own rating on a target (the latest one; `updated_at` says when)."""

    __tablename__ = "self_assessment_entry"
    __table_args__ = (UniqueConstraint("enrollment_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    rating: Mapped[str] = mapped_column(String(20))  # a SelfAssessment value
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Goal(Base):
    """A student's goal, optionally about one learning target, due on a date."""

    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_target.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")  # a GoalStatus value
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    check_ins: Mapped[list[GoalCheckIn]] = relationship(
        cascade="all, delete-orphan", order_by="GoalCheckIn.created_at"
    )
    comments: Mapped[list[TeacherComment]] = relationship(
        cascade="all, delete-orphan", order_by="TeacherComment.created_at"
    )


class GoalCheckIn(Base):
    """A student's reflection on how a goal is going."""

    __tablename__ = "goal_check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeacherComment(Base):
    """A teacher's comment on a student's goal."""

    __tablename__ = "teacher_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearningPath(Base):
    """A course's path settings: whether each step also waits for the previous one."""

    __tablename__ = "learning_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    is_sequential: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PathStep(Base):
    """One learning target on the course's path, with its prerequisites (target ids)."""

    __tablename__ = "path_step"
    __table_args__ = (UniqueConstraint("course_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("learning_target.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    prerequisites: Mapped[list[Any]] = mapped_column(default=list)


class StationPlanRecord(Base):
    """A saved station rotation: the groups as the teacher left them."""

    __tablename__ = "station_plan_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_target.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    max_group_size: Mapped[int] = mapped_column(default=4)
    # {"groups": [{"key", "station", "students": [{"enrollment_id", "name", "level_points"}]}]}
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StationRotation(Base):
    """A station rotation for a class period: groups x time slots x stations.

    The schedule follows from `stations`, the groups and the clock (`domain/stations.py`):
    group g is at station (g - 1 + slot) mod n in slot `slot`, slot k starting at
    `starts_at + k * slot_minutes`.
    """

    __tablename__ = "station_rotation"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_target.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    slot_minutes: Mapped[int] = mapped_column(default=15)
    stations: Mapped[list[Any]] = mapped_column(default=list)  # StationType values, in order
    # [{"number": 1, "students": [{"enrollment_id", "name", "level_points"}]}], one per station
    groups: Mapped[list[Any]] = mapped_column(default=list)
    ended_at: Mapped[datetime | None]  # the teacher ended it early
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
