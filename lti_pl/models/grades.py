"""Line items in the LMS gradebook and the durable outbox of scores to send to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_pl.domain.grade_delivery import OutboxStatus
from lti_pl.models.base import Base, utcnow
from lti_pl.models.courses import Course, Enrollment

__all__ = ["GradeOutboxEntry", "LineItem", "OutboxStatus"]


class LineItem(Base):
    """An AGS line item the tool created or found in a course's gradebook."""

    __tablename__ = "line_item"
    __table_args__ = (UniqueConstraint("course_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(1000))
    label: Mapped[str] = mapped_column(String(500), default="")
    score_maximum: Mapped[float] = mapped_column(default=100.0)
    resource_id: Mapped[str] = mapped_column(String(255), default="")
    tag: Mapped[str] = mapped_column(String(255), default="")
    resource_link_id: Mapped[str] = mapped_column(String(255), default="")
    # "aggregate": the course's mastery grade; "target": one target (target_id set).
    passback_mode: Mapped[str] = mapped_column(String(20), default="aggregate")
    target_id: Mapped[int | None] = mapped_column()
    # Aggregate line items: the targets averaged (custom `lti_pl_targets`); empty: every target.
    target_ids: Mapped[list[Any]] = mapped_column(default=list)
    # The launch's `lineitem` claim gave the URL; False when we created or found it via AGS.
    from_launch: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()


class GradeOutboxEntry(Base):
    """A score to send to the LMS: written with the change that produced it, sent by a worker."""

    __tablename__ = "grade_outbox_entry"
    __table_args__ = (
        Index("ix_grade_outbox_due", "status", "next_attempt_at"),
        Index("ix_grade_outbox_target", "line_item_id", "enrollment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("line_item.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    score_given: Mapped[float | None] = mapped_column()
    score_maximum: Mapped[float] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    activity_progress: Mapped[str] = mapped_column(String(20), default="Completed")
    grading_progress: Mapped[str] = mapped_column(String(20), default="FullyGraded")
    # Strictly increasing per (line item, user): Moodle refuses an equal or older one with 409.
    timestamp: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    # Retry state (domain.grade_delivery.decide_failure): an earlier attempt may have reached
    # the LMS (a 409 then counts as sent); 409 re-stamps so far; re-stamp before the next send.
    maybe_delivered: Mapped[bool] = mapped_column(default=False, server_default=false())
    restamps: Mapped[int] = mapped_column(default=0, server_default="0")
    needs_restamp: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    line_item: Mapped[LineItem] = relationship()
    enrollment: Mapped[Enrollment] = relationship()
