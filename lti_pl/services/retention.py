"""Retention: courses nobody launched for a long time can be exported and purged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment
from lti_pl.services.people import Holdings, collect, delete_holdings


def stale_courses(cutoff: datetime) -> list[Course]:
    """Courses whose latest launch (or, never launched, creation) is before `cutoff`."""
    latest = (
        select(Enrollment.course_id, func.max(Enrollment.last_launch_at).label("at"))
        .group_by(Enrollment.course_id)
        .subquery()
    )
    query = (
        select(Course)
        .outerjoin(latest, latest.c.course_id == Course.id)
        .where(func.coalesce(latest.c.at, Course.created_at) < cutoff)
        .order_by(Course.id)
    )
    return list(db.session.scalars(query))


def course_holdings(course_id: int) -> Holdings:
    """Every row of a course (its enrollments' rows included) and the files they name."""
    return collect("course", {course_id})


def purge_course(course_id: int, upload_folder: str) -> Holdings:
    """Delete a course's rows and, once committed, its files; people stay (other courses)."""
    holdings = course_holdings(course_id)
    delete_holdings(holdings, upload_folder)
    return holdings
