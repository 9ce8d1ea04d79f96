"""Learning targets ("I can …" statements), grouped in units, ordered per course."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_pl.models.base import Base, utcnow
from lti_pl.models.courses import Course


class Unit(Base):
    """An optional grouping of targets (a unit of study)."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)


class LearningTarget(Base):
    """An "I can …" statement measured on the course's mastery scale."""

    __tablename__ = "learning_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    statement: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    standard_code: Mapped[str] = mapped_column(String(100), default="")
    case_guid: Mapped[str] = mapped_column(String(64), default="")
    position: Mapped[int] = mapped_column(default=0)
    # None: the course's method; else a key of domain.mastery.CALCULATION_METHODS.
    calculation_method: Mapped[str | None] = mapped_column(String(40))
    method_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    archived_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    unit: Mapped[Unit | None] = relationship()

    @property
    def is_archived(self) -> bool:
        """Archived targets keep their evidence but leave the course's lists."""
        return self.archived_at is not None
