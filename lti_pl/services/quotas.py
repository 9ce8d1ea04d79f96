"""Upload quotas: how many bytes of files one student, and one course, may keep.

Checked after the file was streamed to disk (its size is known only then); a file over a quota
is removed again by the caller's error path, so the refusal leaves nothing behind.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select

from lti_pl.domain.errors import InvalidInputError
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import Evidence

MB = 1024 * 1024


def _size(size: int) -> str:
    """Bytes as a person reads them: "2.4 KB", "250 MB"."""
    value, unit = (size / MB, "MB") if size >= MB else (size / 1024, "KB")
    return f"{value:.1f}".removesuffix(".0") + " " + unit


def check_evidence_quota(
    actor: Enrollment, new_bytes: int, *, student_quota: int, course_quota: int
) -> None:
    """Refuse a file that would take the student or the course past its quota.

    Args:
        actor: the student uploading.
        new_bytes: the new file's size.
        student_quota: bytes one student may keep in the course (0: no quota).
        course_quota: bytes all files of the course may take (0: no quota).

    Raises:
        InvalidInputError: field "file", saying how much is used and what to do.
    """
    if student_quota > 0:
        used = _bytes_used(Evidence.enrollment_id == actor.id)
        if used + new_bytes > student_quota:
            raise InvalidInputError(
                f"Your files in this course would take more than your {_size(student_quota)} "
                f"(you use {_size(used)}). Submit a link or text instead, or ask your "
                "teacher.",
                field="file",
            )
    if course_quota > 0:
        used = _bytes_used(Evidence.course_id == actor.course_id)
        if used + new_bytes > course_quota:
            raise InvalidInputError(
                f"This course's files would take more than its {_size(course_quota)}. Submit a "
                "link or text instead, and tell your teacher that the course is out of space.",
                field="file",
            )


def _bytes_used(whose: ColumnElement[bool]) -> int:
    """Bytes of the evidence files `whose` selects (a student's, or a course's)."""
    return int(
        db.session.scalar(select(func.coalesce(func.sum(Evidence.size), 0)).where(whose)) or 0
    )
