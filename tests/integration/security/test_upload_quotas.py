"""Upload quotas per student and per course: a clear 422 with the reason, nothing left on disk."""

from __future__ import annotations

import io
import os

from sqlalchemy import select

from lti_pl.config import config_from_env
from lti_pl.extensions import db
from lti_pl.models.evidence import Evidence
from tests.support.builders import make_course, make_student, make_target, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000  # 1,008 bytes


def upload(client, student, target):
    return client.post(
        f"/courses/{student.course_id}/learn/targets/{target.id}/evidence",
        data={"kind": "file", "file": (io.BytesIO(PNG), "work.png")},
        content_type="multipart/form-data",
    )


def files_on_disk(app):
    folder = app.config["LTI_PL_UPLOAD_FOLDER"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_sensible_quotas_are_on_by_default(tmp_path):
    config = config_from_env({"LTI_PL_INSTANCE_PATH": str(tmp_path)})
    assert 0 < config["LTI_PL_STUDENT_QUOTA_BYTES"] < config["LTI_PL_COURSE_QUOTA_BYTES"]
    assert config["LTI_PL_STUDENT_QUOTA_BYTES"] >= 10 * config["LTI_PL_MAX_UPLOAD_BYTES"]


def test_a_student_past_their_quota_gets_a_reason_and_nothing_is_kept(app, client, db_session):
    app.config.update(LTI_PL_STUDENT_QUOTA_BYTES=2500, LTI_PL_COURSE_QUOTA_BYTES=0)
    student = make_student()
    target = make_target(student.course)
    sign_in(client, student)
    assert upload(client, student, target).status_code == 303
    assert upload(client, student, target).status_code == 303
    before = files_on_disk(app)
    refused = upload(client, student, target)
    assert refused.status_code == 422
    assert "more than your 2.4 KB (you use 2 KB)" in refused.get_data(as_text=True)
    assert "Submit a link or text instead" in refused.get_data(as_text=True)
    assert files_on_disk(app) == before
    assert len(db.session.scalars(select(Evidence)).all()) == 2

    classmate = make_student(student.course)
    sign_in(client, classmate)
    assert upload(client, classmate, target).status_code == 303  # a quota of its own


def test_a_full_course_refuses_every_student_with_a_reason(app, client, db_session):
    app.config.update(LTI_PL_STUDENT_QUOTA_BYTES=0, LTI_PL_COURSE_QUOTA_BYTES=2500)
    course = make_course()
    target = make_target(course)
    students = [make_student(course) for _ in range(3)]
    statuses = []
    for student in students:
        sign_in(client, student)
        statuses.append(upload(client, student, target).status_code)
    assert statuses == [303, 303, 422]
    page = upload(client, students[2], target).get_data(as_text=True)
    assert "course is out of space" in page
    other = make_student()  # another course has its own space
    sign_in(client, other)
    assert upload(client, other, make_target(other.course)).status_code == 303
