"""Teachers manage learning targets: create, edit, reorder, archive, CSV; others cannot."""

from __future__ import annotations

import io

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.targets import LearningTarget
from lti_pl.services import targets as service
from tests.support.builders import make_course, make_student, make_target, make_teacher, sign_in


def statements(course_id):
    return [t.statement for t in service.list_targets(course_id)]


def test_teacher_creates_a_target_with_unit_standard_guid_and_method_override(client, db_session):
    teacher = make_teacher()
    sign_in(client, teacher)
    answer = client.post(
        f"/courses/{teacher.course_id}/teach/targets",
        data={
            "statement": "I can  compare fractions",
            "unit": "Fractions",
            "standard_code": "CCSS.MATH.4.NF.2",
            "case_guid": "3F1C2B9E-8D4A-11E9-BC42-526AF7764F64",
            "calculation_method": "n_mastery",
            "param_n_mastery_n": "3",
        },
    )
    assert answer.status_code == 303
    target = db.session.scalars(select(LearningTarget)).one()
    assert target.statement == "I can compare fractions"
    assert (target.unit.title, target.standard_code) == ("Fractions", "CCSS.MATH.4.NF.2")
    assert target.case_guid == "3f1c2b9e-8d4a-11e9-bc42-526af7764f64"
    assert (target.calculation_method, target.method_params) == ("n_mastery", {"n": 3.0})
    page = client.get(f"/courses/{teacher.course_id}/teach/targets").get_data(as_text=True)
    assert "I can compare fractions" in page
    # The method reads in words, not by its stored name.
    assert (
        '<span class="cell-label" aria-hidden="true">Method</span>Mastery a number of times</td>'
        in page
    )
    assert "n_mastery" not in page
    assert "CCSS.MATH.4.NF.2" in page


def test_invalid_target_form_is_shown_again_with_the_message_next_to_the_field(client, db_session):
    teacher = make_teacher()
    sign_in(client, teacher)
    answer = client.post(
        f"/courses/{teacher.course_id}/teach/targets",
        data={"statement": "I can x", "calculation_method": "bkt", "param_bkt_p_slip": "0.9"},
    )
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert 'id="p_slip-error"' in text
    assert "Chance of a slip must be greater than 0 and less than 0.5" in text
    assert db.session.scalars(select(LearningTarget)).all() == []


def test_move_buttons_reorder_and_archive_hides(client, db_session):
    course = make_course()
    teacher = make_teacher(course)
    a, b, c = (make_target(course, s) for s in ("I can A", "I can B", "I can C"))
    sign_in(client, teacher)
    base = f"/courses/{course.id}/teach/targets"
    assert client.post(f"{base}/{c.id}/move", data={"direction": "up"}).status_code == 303
    assert statements(course.id) == ["I can A", "I can C", "I can B"]
    client.post(f"{base}/{a.id}/move", data={"direction": "up"})  # already first: no change
    client.post(f"{base}/{a.id}/move", data={"direction": "down"})
    assert statements(course.id) == ["I can C", "I can A", "I can B"]
    assert client.post(f"{base}/{b.id}/archive", data={"archived": "1"}).status_code == 303
    assert statements(course.id) == ["I can C", "I can A"]
    client.post(f"{base}/{b.id}/archive", data={"archived": "0"})
    assert statements(course.id) == ["I can C", "I can A", "I can B"]


def test_csv_export_then_import_round_trips(client, db_session):
    source = make_course()
    teacher = make_teacher(source)
    sign_in(client, teacher)
    client.post(
        f"/courses/{source.id}/teach/targets",
        data={"statement": "=I can add", "unit": "Numbers", "calculation_method": "highest"},
    )
    make_target(source, 'I can subtract, "carefully"')
    exported = client.get(f"/courses/{source.id}/teach/targets.csv")
    assert exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    body = exported.get_data(as_text=True)
    assert body.splitlines()[0] == "statement,unit,standard_code,case_guid,calculation_method"
    assert "'=I can add" in body  # a spreadsheet will not run it as a formula

    other = make_teacher()
    other_course = other.course_id
    sign_in(client, other)
    answer = client.post(
        f"/courses/{other_course}/teach/targets/import",
        data={"file": (io.BytesIO(body.encode()), "targets.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    imported = service.list_targets(other_course)
    assert [t.statement for t in imported] == ["=I can add", 'I can subtract, "carefully"']
    assert imported[0].unit.title == "Numbers"
    assert imported[0].calculation_method == "highest"


def test_csv_import_reports_every_bad_row_and_changes_nothing(client, db_session):
    teacher = make_teacher()
    make_target(teacher.course, "I can keep this")
    course_id = teacher.course_id
    sign_in(client, teacher)
    csv_text = "statement,unit,calculation_method\nI can one,,\n,Unit,\nI can three,,median\n"
    answer = client.post(
        f"/courses/{teacher.course_id}/teach/targets/import",
        data={"file": (io.BytesIO(csv_text.encode()), "t.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303  # the rows are checked by the import job
    text = client.get(answer.location).get_data(as_text=True)
    assert "Row 3:" in text
    assert "Row 4:" in text
    assert "Row 2:" not in text
    assert statements(course_id) == ["I can keep this"]


def test_csv_import_with_a_nul_character_is_refused_and_changes_nothing(client, db_session):
    # PostgreSQL text cannot hold NUL: the import failed there with a 500.
    teacher = make_teacher()
    course_id = teacher.course_id
    sign_in(client, teacher)
    answer = client.post(
        f"/courses/{course_id}/teach/targets/import",
        data={"file": (io.BytesIO(b"statement\nI can add\x00 up\n"), "t.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303  # the rows are checked by the import job
    page = client.get(answer.location).get_data(as_text=True)
    assert "Row 2: Remove the invisible NUL character" in page
    assert statements(course_id) == []


def test_students_cannot_manage_targets(client, db_session):
    student = make_student()
    sign_in(client, student)
    answer = client.post(f"/courses/{student.course_id}/teach/targets", data={"statement": "I can"})
    assert answer.status_code == 403
    assert db.session.scalars(select(LearningTarget)).all() == []


def test_a_teacher_cannot_touch_another_courses_target(client, db_session):
    teacher = make_teacher()
    elsewhere = make_target(make_course(), "I can elsewhere")
    sign_in(client, teacher)
    base = f"/courses/{teacher.course_id}/teach/targets/{elsewhere.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert client.post(f"{base}/archive", data={"archived": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(LearningTarget, elsewhere.id).archived_at is None
