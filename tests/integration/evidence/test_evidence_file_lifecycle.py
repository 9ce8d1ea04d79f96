"""Evidence files follow the database, and reach only the student, their teachers and the
observers linked to them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import Evidence, ReassessmentRequest
from tests.support.builders import (
    make_course,
    make_enrollment,
    make_observer_link,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def files_in(app) -> set[Path]:
    folder = Path(app.config["LTI_PL_UPLOAD_FOLDER"])
    return {p for p in folder.glob("*") if p.is_file()} if folder.exists() else set()


def submit_file(client, student, target, **extra):
    return client.post(
        f"/courses/{student.course_id}/learn/targets/{target.id}/evidence",
        data={"kind": "file", "file": (io.BytesIO(PNG), "work.png"), **extra},
        content_type="multipart/form-data",
    )


def test_a_submission_refused_after_the_file_was_written_leaves_no_file(app, client, db_session):
    # "I'm ready" with a note over the limit is refused after the evidence (and its file) was
    # stored: the request rolls back, and the file must go with the row.
    student = make_student()
    target = make_target(student.course)
    sign_in(client, student)
    before = files_in(app)

    answer = submit_file(client, student, target, ready="1", note="x" * 2001)

    assert answer.status_code == 422
    db.session.expire_all()
    assert db.session.scalars(select(Evidence)).all() == []
    assert db.session.scalars(select(ReassessmentRequest)).all() == []
    assert files_in(app) == before


def test_a_committed_submission_keeps_its_file(app, client, db_session):
    student = make_student()
    target = make_target(student.course)
    sign_in(client, student)
    before = files_in(app)

    assert submit_file(client, student, target, ready="1", note="done").status_code == 303

    evidence = db.session.scalars(select(Evidence)).one()
    stored = Path(app.config["LTI_PL_UPLOAD_FOLDER"]) / evidence.stored_name
    assert files_in(app) - before == {stored}
    assert stored.read_bytes() == PNG


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("the student", 200),
        ("a classmate", 404),
        ("a teacher of the course", 200),
        ("a linked observer", 200),
        ("an observer of another student", 404),
        ("a teacher of another course", 404),
        ("a student of another course", 404),
        ("a student of another course, asking in this course", 403),
    ],
)
def test_an_evidence_file_reaches_only_its_student_teachers_and_linked_observers(
    app, client, db_session, who, expected
):
    course = make_course()
    student = make_student(course)
    target = make_target(course)
    sign_in(client, student)
    assert submit_file(client, student, target).status_code == 303
    evidence = db.session.scalars(select(Evidence)).one()
    other_course = make_course()
    actors = {
        "the student": student,
        "a classmate": make_student(course),
        "a teacher of the course": make_teacher(course),
        "a linked observer": make_enrollment(course, "observer"),
        "an observer of another student": make_enrollment(course, "observer"),
        "a teacher of another course": make_teacher(other_course),
        "a student of another course": make_student(other_course),
        "a student of another course, asking in this course": make_student(other_course),
    }
    make_observer_link(actors["a linked observer"], student)
    make_observer_link(actors["an observer of another student"], actors["a classmate"])
    actor = actors[who]
    area = "teach" if actor.role == "teacher" else "learn"
    url_course = course.id if "asking in this course" in who else actor.course_id

    answer = sign_in(app.test_client(), actor).get(
        f"/courses/{url_course}/{area}/evidence/{evidence.id}/file"
    )

    assert answer.status_code == expected
    assert (answer.data == PNG) is (expected == 200)
