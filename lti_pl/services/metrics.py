"""What an operator watches: the grade outbox and launches, read from the database at scrape time.

Everything is counted from the database, not from in-process counters, so any process answers
for all of them (gunicorn workers, the grade worker) and a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus
from lti_pl.models.platforms import Platform

#: Windows for the launched-users gauge: label -> length.
LAUNCH_WINDOWS = {"5m": timedelta(minutes=5), "1h": timedelta(hours=1), "24h": timedelta(days=1)}
WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class Snapshot:
    """The figures of one scrape."""

    outbox_by_status: dict[str, int]
    oldest_waiting_seconds: float
    failed_by_platform: dict[tuple[int, str], int]
    launched_users: dict[str, int]


def snapshot(now: datetime) -> Snapshot:
    """Read the figures (a handful of aggregate queries on indexed columns)."""
    by_status = {
        str(status): int(count)
        for status, count in db.session.execute(
            select(GradeOutboxEntry.status, func.count())
            .where(GradeOutboxEntry.status.in_([*WAITING, OutboxStatus.FAILED]))
            .group_by(GradeOutboxEntry.status)
        )
    }
    for status in (*WAITING, OutboxStatus.FAILED):
        by_status.setdefault(status, 0)
    oldest = db.session.scalar(
        select(func.min(GradeOutboxEntry.created_at)).where(GradeOutboxEntry.status.in_(WAITING))
    )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    failed = {
        (int(platform_id), str(issuer)): int(count)
        for platform_id, issuer, count in db.session.execute(
            select(Platform.id, Platform.issuer, func.count(GradeOutboxEntry.id))
            .join(Course, Course.platform_id == Platform.id)
            .join(GradeOutboxEntry, GradeOutboxEntry.course_id == Course.id)
            .where(GradeOutboxEntry.status == OutboxStatus.FAILED)
            .group_by(Platform.id, Platform.issuer)
        )
    }
    launched = {
        label: int(
            db.session.scalar(select(func.count()).where(Enrollment.last_launch_at >= now - length))
            or 0
        )
        for label, length in LAUNCH_WINDOWS.items()
    }
    return Snapshot(
        outbox_by_status=by_status,
        oldest_waiting_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        failed_by_platform=failed,
        launched_users=launched,
    )
