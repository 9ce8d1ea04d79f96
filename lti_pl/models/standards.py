"""CASE frameworks shared by every course of a platform, readiness fits, and platform settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_pl.models.base import Base, utcnow


class StandardsFramework(Base):
    """A CASE framework (`CFDocument`) imported for one platform (issuer)."""

    __tablename__ = "standards_framework"
    __table_args__ = (UniqueConstraint("issuer", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Frameworks belong to the LMS (issuer), like people: every course there shares them.
    issuer: Mapped[str] = mapped_column(String(255), index=True)
    identifier: Mapped[str] = mapped_column(String(64))  # the CFDocument's UUID, lower case
    title: Mapped[str] = mapped_column(String(500))
    creator: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[str] = mapped_column(String(100), default="")
    adoption_status: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(1000), default="")  # file name or provider URL
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[StandardItem]] = relationship(
        back_populates="framework", cascade="all, delete-orphan", order_by="StandardItem.position"
    )


class StandardItem(Base):
    """One standard (`CFItem`); `identifier` is the stable link targets keep in `case_guid`."""

    __tablename__ = "standard_item"
    __table_args__ = (
        UniqueConstraint("framework_id", "identifier"),
        Index("ix_standard_item_identifier", "identifier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("standards_framework.id", ondelete="CASCADE")
    )
    identifier: Mapped[str] = mapped_column(String(64))
    parent_identifier: Mapped[str | None] = mapped_column(String(64))  # None: top level
    code: Mapped[str] = mapped_column(String(255), default="")  # humanCodingScheme
    statement: Mapped[str] = mapped_column(Text)  # fullStatement
    item_type: Mapped[str] = mapped_column(String(255), default="")
    education_levels: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)
    # An item a re-import no longer lists stays, so targets linked to it still resolve.
    is_retired: Mapped[bool] = mapped_column(default=False)

    framework: Mapped[StandardsFramework] = relationship(back_populates="items")


class StandardsSettings(Base):
    """A platform admin's choices for standards across courses (off by default)."""

    __tablename__ = "standards_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255), unique=True)
    # Teachers see a student's level and date on a standard from the student's earlier courses.
    share_prior_levels: Mapped[bool] = mapped_column(default=False)
    # LTI role names (besides Administrator) that may open the programme view.
    programme_roles: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReadinessFit(Base):
    """BKT parameters fitted by EM for one standard of a platform, from all its courses."""

    __tablename__ = "readiness_fit"
    __table_args__ = (UniqueConstraint("issuer", "standard_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    # A CASE item identifier, or "target:<id>" for a target linked to no standard.
    standard_key: Mapped[str] = mapped_column(String(80))
    prior: Mapped[float] = mapped_column()
    learn: Mapped[float] = mapped_column()
    slip: Mapped[float] = mapped_column()
    guess: Mapped[float] = mapped_column()
    students: Mapped[int] = mapped_column(default=0)
    observations: Mapped[int] = mapped_column(default=0)
    log_likelihood: Mapped[float | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    fitted_at: Mapped[datetime] = mapped_column(default=utcnow)
