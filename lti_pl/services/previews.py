"""What a student sees, for the teacher: a chosen student of the course, or a sample student.

The sample student is an enrollment that exists only for the preview (never added to the
session): no evidence, no profile, the course's default structure dial, so the teacher sees the
board and target pages as a new student would. Previews only read.
"""

from __future__ import annotations

from dataclasses import dataclass

from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.errors import NotFoundError
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Enrollment, Person
from lti_pl.services.enrollments import course_students

SAMPLE = "sample"
SAMPLE_NAME = "a sample student"


@dataclass(frozen=True)
class PreviewStudent:
    """Whose screen the preview draws, and the students the teacher may pick from."""

    student: Enrollment
    name: str
    choice: str  # the enrollment id as text, or "sample"
    students: list[Enrollment]

    @property
    def is_sample(self) -> bool:
        """Whether the preview draws the sample student."""
        return self.choice == SAMPLE


def _sample_student(actor: Enrollment) -> Enrollment:
    # Transient, and Enrollment -> Course cascades only towards the course: never flushed.
    sample = Enrollment(
        course_id=actor.course_id,
        role=CourseRole.STUDENT.value,
        status=EnrollmentStatus.ACTIVE.value,
        structure=None,
    )
    sample.course = actor.course
    sample.person = Person(issuer="", subject="", name="Sample student")
    return sample


def preview_student(actor: Enrollment, choice: str) -> PreviewStudent:
    """The student a teacher previews: an enrollment id of the course, or "sample" (the default).

    Raises:
        NotFoundError: not a student of the teacher's course.
    """
    students = course_students(actor.course_id)
    if not choice or choice == SAMPLE:
        return PreviewStudent(_sample_student(actor), SAMPLE_NAME, SAMPLE, students)
    student = next((s for s in students if str(s.id) == choice), None)
    if student is None:
        raise NotFoundError("No such student in this course.")
    return PreviewStudent(student, student.person.display_name, str(student.id), students)
