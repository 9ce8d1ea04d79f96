"""Administrator consent and data-protection records: registration invites, erasure audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lti_pl.models.base import Base, utcnow


class RegistrationInvite(Base):
    """A one-time Dynamic Registration link an administrator created (`lti-pl platforms invite`).

    Only the SHA-256 of the link's secret is kept: a database dump does not hand out links.
    """

    __tablename__ = "registration_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    platform_id: Mapped[int | None] = mapped_column()  # the platform it registered, once used


class ErasureRecord(Base):
    """That a person's data was erased, when, and on which platform; never who or what."""

    __tablename__ = "erasure_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int | None] = mapped_column()
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    reference: Mapped[str] = mapped_column(String(255), default="")  # the request's ticket
