"""Builders for grade-passback tests: a launched course, students, line items on the emulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.lti.ags import ALL_SCOPES, AgsSender
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.grades import LineItem
from lti_pl.services import grades
from tests.support.platform_emulator import PlatformEmulator


@dataclass
class GradedCourse:
    """A course launched from the emulator, with students and a way to add line items."""

    course: Course
    teacher: Enrollment
    students: list[Enrollment]
    platform: PlatformEmulator

    def line_item(self, label: str = "Mastery", *, target_id: int | None = None) -> LineItem:
        """A line item created on the emulator and recorded in the tool."""
        context = self.course.context_id
        url = f"{self.platform.url}/ags/{context}/lineitems/{label.lower().replace(' ', '-')}"
        self.platform.line_items[url] = {
            "id": url,
            "label": label,
            "scoreMaximum": 100,
            "_context": context,
        }
        passback = (
            grades.Passback(grades.PER_TARGET, target_id, (), 100.0)
            if target_id is not None
            else grades.Passback(grades.AGGREGATE, None, (), 100.0)
        )
        item = LineItem(
            course_id=self.course.id,
            url=url,
            label=label,
            score_maximum=100.0,
            passback_mode=passback.mode,
            target_id=target_id,
            target_ids=[],
        )
        db.session.add(item)
        db.session.commit()
        return item


def course_id_from(response: Any) -> int:
    """The course id in a launch's redirect (/courses/<id>/...)."""
    return int(response.headers["Location"].split("/courses/")[1].split("/")[0])


def graded_course(
    client: Any, platform: PlatformEmulator, students: int = 3, context_id: str = "course-1"
) -> GradedCourse:
    """Launch as a teacher, then add `students` enrollments (committed)."""
    response = platform.launch(
        client, role="Instructor", user_id="teacher-1", context_id=context_id
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    course = db.session.get(Course, course_id_from(response))
    assert course is not None
    course.ags_scopes = list(ALL_SCOPES)
    teacher = db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.role == "teacher")
    ).one()
    people = [
        Person(issuer=platform.issuer, subject=f"student-{i}", name=f"Student {i:04d}")
        for i in range(students)
    ]
    db.session.add_all(people)
    db.session.flush()
    enrollments = [Enrollment(course_id=course.id, person_id=p.id, role="student") for p in people]
    db.session.add_all(enrollments)
    db.session.commit()
    return GradedCourse(course, teacher, enrollments, platform)


def sender_for(app: Flask, timeout: float | None = None) -> AgsSender:
    """The real AGS sender of the app (its token store and registrations)."""
    runtime = app.extensions["lti_pl"]
    return AgsSender(runtime.tool_conf, runtime.store, timeout or runtime.timeout)
