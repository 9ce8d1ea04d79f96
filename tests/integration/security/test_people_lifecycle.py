"""`lti-pl people export|erase`: every row and file of one person across courses, nobody else's,
a dry run that changes nothing, and an audit record that says only that an erasure happened."""

from __future__ import annotations

import io
import json
import os

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment, Person
from lti_pl.models.evidence import Assessment, Evidence
from lti_pl.models.security import ErasureRecord
from tests.support.builders import (
    make_assessment,
    make_course,
    make_enrollment,
    make_evidence,
    make_person,
    make_target,
    make_teacher,
    sign_in,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def world(app, client):
    """One person in two courses (with a file), a classmate, and their teacher."""
    first = make_course()
    second = make_course(first.platform)
    person = make_person(first, subject="lms-user-42")
    mine = [make_enrollment(course, "student", person=person) for course in (first, second)]
    classmate = make_enrollment(first, "student")
    teacher = make_teacher(first)
    target = make_target(first)
    sign_in(client, mine[0])
    answer = client.post(
        f"/courses/{first.id}/learn/targets/{target.id}/evidence",
        data={"kind": "file", "file": (io.BytesIO(PNG), "work.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    make_evidence(mine[1], make_target(second), "second course work")
    make_assessment(mine[0], target, 3.0, assessor_id=teacher.id)
    make_evidence(classmate, target, "classmate work")
    make_assessment(classmate, target, 2.0, assessor_id=teacher.id)
    return first.platform, person, mine, classmate, teacher


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_export_writes_every_row_and_file_of_the_person_across_courses(
    app, client, runner, tmp_path
):
    platform, _person, mine, _classmate, _teacher = world(app, client)
    out = tmp_path / "export"
    result = runner.invoke(
        args=[
            "people",
            "export",
            "--platform",
            platform.issuer,
            "--user",
            "lti-user-x",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 2  # an unknown user is a one-line error
    result = runner.invoke(
        args=[
            "people",
            "export",
            "--platform",
            str(platform.id),
            "--user",
            "lms-user-42",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads((out / "rows.json").read_text())
    assert [p["subject"] for p in rows["person"]] == ["lms-user-42"]
    assert {e["id"] for e in rows["enrollment"]} == {e.id for e in mine}
    texts = {e["text"] for e in rows["evidence"]}
    assert "second course work" in texts
    assert "classmate work" not in texts
    assert {a["enrollment_id"] for a in rows["assessment"]} == {mine[0].id}
    (stored,) = os.listdir(out / "files")
    assert (out / "files" / stored).read_bytes() == PNG


def test_erase_dry_run_changes_nothing_then_erase_removes_rows_and_files(
    app, client, runner, db_session
):
    platform, person, mine, classmate, teacher = world(app, client)
    folder = app.config["LTI_PL_UPLOAD_FOLDER"]
    stored = db.session.scalars(
        select(Evidence.stored_name).where(Evidence.enrollment_id == mine[0].id)
    ).one()
    assert os.path.exists(os.path.join(folder, stored))
    mine_ids = [e.id for e in mine]
    person_id, classmate_id, teacher_id = person.id, classmate.id, teacher.id
    args = ["people", "erase", "--platform", platform.issuer, "--user", "lms-user-42"]

    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would erase 2 enrollment" in dry.output
    assert "would erase 1 files" in dry.output
    assert count(Person, Person.id == person_id) == 1
    assert count(ErasureRecord) == 0

    done = runner.invoke(args=[*args, "--reference", "ticket-881"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert count(Person, Person.subject == "lms-user-42") == 0
    assert count(Enrollment, Enrollment.id.in_(mine_ids)) == 0
    assert count(Evidence, Evidence.enrollment_id.in_(mine_ids)) == 0
    assert not os.path.exists(os.path.join(folder, stored))
    # Nobody else's data goes: the classmate's work and the teacher stay.
    assert count(Evidence, Evidence.enrollment_id == classmate_id) == 1
    assert count(Assessment, Assessment.enrollment_id == classmate_id) == 1
    assert count(Enrollment, Enrollment.id == teacher_id) == 1
    (record,) = db.session.scalars(select(ErasureRecord)).all()
    assert record.platform_id == platform.id
    assert record.reference == "ticket-881"
    assert "lms-user-42" not in json.dumps(
        {c.name: str(getattr(record, c.name)) for c in ErasureRecord.__table__.columns}
    )


def test_erasing_a_teacher_keeps_the_students_assessments(app, client, runner, db_session):
    platform, _person, _mine, classmate, teacher = world(app, client)
    teacher_subject = db.session.get(Person, teacher.person_id).subject
    classmate_id = classmate.id
    result = runner.invoke(
        args=["people", "erase", "--platform", platform.issuer, "--user", teacher_subject]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    (kept,) = db.session.scalars(
        select(Assessment).where(Assessment.enrollment_id == classmate_id)
    ).all()
    assert kept.assessor_id is None  # the pointer to the erased teacher is cleared
