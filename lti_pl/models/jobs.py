"""Progress of long work a teacher started, polled by a page; CSV files waiting to be imported.

Long work: a roster sync, sending many scores, a CSV import of targets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lti_pl.models.base import Base, utcnow


class JobProgress(Base):
    """One run of a long job for a course: how far it got, and how it ended."""

    __tablename__ = "job_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # roster_sync, grade_passback, target_import
    state: Mapped[str] = mapped_column(String(20), default="queued")  # running, done, failed
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)  # 0: not known yet
    message: Mapped[str] = mapped_column(String(500), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TargetImport(Base):
    """An uploaded targets CSV kept until its import job has run (a restart loses nothing).

    The job claims it with a lease; the worker runs imports never claimed or whose lease ran out
    (the process died). The row is deleted in the transaction that ends the import.
    """

    __tablename__ = "target_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    progress_id: Mapped[int] = mapped_column(
        ForeignKey("job_progress.id", ondelete="CASCADE"), unique=True
    )
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
