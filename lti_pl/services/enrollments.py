"""Course-scoped enrollment lookups: the students of a course, one student of a course."""

from __future__ import annotations

from sqlalchemy import select

from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Enrollment


def course_students(course_id: int, *, section: str = "") -> list[Enrollment]:
    """Students on the roster (every status but Deleted), by name (person joined in one query)."""
    query = select(Enrollment).where(
        Enrollment.course_id == course_id,
        Enrollment.role == CourseRole.STUDENT.value,
        Enrollment.status != EnrollmentStatus.DELETED,
    )
    if section:
        query = query.where(Enrollment.section == section)
    students = list(db.session.scalars(query))
    return sorted(students, key=lambda e: (e.person.display_name.casefold(), e.id))


def student_in_course(course_id: int, enrollment_id: int) -> Enrollment:
    """A student enrollment of this course.

    Raises:
        NotFoundError: no such student in the course.
    """
    student = db.session.get(Enrollment, enrollment_id)
    if (
        student is None
        or student.course_id != course_id
        or student.role != CourseRole.STUDENT.value
    ):
        raise NotFoundError("That student is not in this course.")
    return student
