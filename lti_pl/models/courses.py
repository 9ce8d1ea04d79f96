"""Courses (LTI contexts), people (per issuer `sub`), enrollments and resource links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_pl.models.base import Base, utcnow
from lti_pl.models.platforms import Deployment, Platform


class Course(Base):
    """An LMS course (LTI context) on one platform, with the teacher's course settings."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    # Mastery settings (issue: mastery core): method + params, scale levels, grade table.
    calculation_method: Mapped[str] = mapped_column(String(40), default="decaying_average")
    method_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scale_levels: Mapped[list[Any] | None] = mapped_column()  # [[points, label, colour], ...]
    mastery_points: Mapped[float | None] = mapped_column()
    grade_table: Mapped[dict[str, Any] | None] = (
        mapped_column()
    )  # {"4": 100, ...} or {"proportional": true}
    reassessment_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    default_structure: Mapped[str] = mapped_column(String(20), default="guided")
    # Aggregate grades: "assessed" (assessed targets only) or "all" (unassessed = lowest level).
    aggregate_mode: Mapped[str] = mapped_column(String(20), default="assessed")
    # LTI Advantage endpoints seen in the latest launch.
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    line_items_url: Mapped[str | None] = mapped_column(String(1000))
    ags_scopes: Mapped[list[Any]] = mapped_column(default=list)
    roster_synced_at: Mapped[datetime | None] = mapped_column()
    roster_sync_status: Mapped[str] = mapped_column(String(500), default="never synced")
    roster_differences_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    platform: Mapped[Platform] = relationship()
    deployment: Mapped[Deployment] = relationship()


class Person(Base):
    """A user as one issuer knows them: `sub` is only unique per issuer."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    given_name: Mapped[str] = mapped_column(String(255), default="")
    family_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(320))

    @property
    def display_name(self) -> str:
        """The name to show, falling back to a neutral label when the platform sent none."""
        return (
            self.name
            or " ".join(p for p in (self.given_name, self.family_name) if p)
            or (f"Person {self.id}")
        )


class Enrollment(Base):
    """A person's role in one course; a session identifies exactly one enrollment."""

    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))  # a CourseRole value
    lti_roles: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="Active")  # NRPS status
    section: Mapped[str] = mapped_column(String(255), default="")
    structure: Mapped[str | None] = mapped_column(String(20))  # None: the course default
    last_launch_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    person: Mapped[Person] = relationship(lazy="joined")


class ObserverLink(Base):
    """An observer (LTI Mentor) may read one student's work in the course."""

    __tablename__ = "observer_link"
    __table_args__ = (UniqueConstraint("observer_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))


class ResourceLink(Base):
    """A placement of the tool in the course (an LTI resource link), with what it shows."""

    __tablename__ = "resource_link"
    __table_args__ = (UniqueConstraint("course_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the teacher said the link's gradebook column holds, for a link placed by hand (no
    # deep linking, so no custom parameters name targets): {"lti_pl_target": "7"} or
    # {"lti_pl_targets": "1,2"} ("" for overall mastery). Launches overwrite `custom` from the
    # claim; they never touch this. NULL: not set up.
    grade_setup: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    line_item_url: Mapped[str | None] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="")
