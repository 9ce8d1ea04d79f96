"""Progress of long work a teacher started (roster sync, sending many scores), polled by a page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_pl.models.base import Base, utcnow


class JobProgress(Base):
    """One run of a long job for a course: how far it got, and how it ended."""

    __tablename__ = "job_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # "roster_sync", "grade_passback"
    state: Mapped[str] = mapped_column(String(20), default="queued")  # running, done, failed
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)  # 0: not known yet
    message: Mapped[str] = mapped_column(String(500), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
