"""Activity files: a teacher uploads one on the activity form (checked like evidence files);
students and observers of the course download it as an attachment; nobody else can."""

from __future__ import annotations

import io
from pathlib import Path

from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity
from lti_pl.services.choice_boards import activity_files_folder
from tests.support.builders import (
    make_course,
    make_enrollment,
    make_student,
    make_teacher,
    sign_in,
)
from tests.support.choice_builders import make_board

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
FIELDS = {
    "title": "Read the handout",
    "instructions": "Read it all.",
    "modality": "read",
    "readiness": "practice",
    "minutes": "15",
    "station": "",
    "requirement": "may_do",
}


def files_in(app) -> set[Path]:
    folder = Path(activity_files_folder(app.config["LTI_PL_UPLOAD_FOLDER"]))
    return set(folder.glob("*")) if folder.exists() else set()


def post_activity(client, board, name, content, activity_id=None):
    url = f"/courses/{board.course_id}/teach/boards/{board.id}/activities"
    if activity_id is not None:
        url += f"/{activity_id}"
    return client.post(
        url,
        data={**FIELDS, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def teacher_uploaded(client, name: str, **board_fields):
    """A teacher of a new course adds an activity with the PDF `name` to a new board:
    (course, board)."""
    course = make_course()
    board = make_board(course, **board_fields)
    sign_in(client, make_teacher(course))
    assert post_activity(client, board, name, PDF).status_code == 303
    return course, board


def field_error(html: str) -> str:
    """The message in the error paragraph right after the file input."""
    after_input = html.split('id="file" name="file"', 1)[1]
    assert 'aria-describedby="file-error"' in after_input.split(">", 1)[0]
    return after_input.split('<p class="field-error" id="file-error">', 1)[1].split("</p>", 1)[0]


def test_teacher_uploads_a_pdf_and_students_download_the_exact_bytes(app, client, db_session):
    course = make_course()
    board = make_board(course, choose_n=1)
    before = files_in(app)
    sign_in(client, make_teacher(course))

    answer = post_activity(client, board, "../Water Cycle Handout.pdf", PDF)

    assert answer.status_code == 303, answer.get_data(as_text=True)
    activity = db.session.get(Activity, board.activities[0].id)
    assert activity.filename == "Water_Cycle_Handout.pdf"
    assert activity.content_type == "application/pdf"
    assert "Handout" not in activity.stored_name
    assert files_in(app) - before == {
        Path(activity_files_folder(app.config["LTI_PL_UPLOAD_FOLDER"])) / activity.stored_name
    }
    file_url = f"/courses/{course.id}/learn/activities/{activity.id}/file"
    edit_page = client.get(f"/courses/{course.id}/teach/boards/{board.id}/activities/{activity.id}")
    assert file_url in edit_page.get_data(as_text=True)

    student = sign_in(app.test_client(), make_student(course))
    board_page = student.get(f"/courses/{course.id}/learn/boards/{board.id}")
    assert board_page.status_code == 200
    assert f'href="{file_url}"' in board_page.get_data(as_text=True)
    assert "Download Water_Cycle_Handout.pdf" in board_page.get_data(as_text=True)

    download = student.get(file_url)
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Water_Cycle_Handout.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    observer = sign_in(app.test_client(), make_enrollment(course, "observer"))
    assert observer.get(file_url).data == PDF
    assert client.get(file_url).data == PDF  # the teacher too


def test_replacing_and_removing_the_file(app, client, db_session):
    course, board = teacher_uploaded(client, "one.pdf", choose_n=1)
    activity_id = board.activities[0].id
    first = db.session.get(Activity, activity_id).stored_name
    folder = Path(activity_files_folder(app.config["LTI_PL_UPLOAD_FOLDER"]))

    assert post_activity(client, board, "two.txt", b"plain notes", activity_id).status_code == 303
    activity = db.session.get(Activity, activity_id)
    assert (activity.filename, activity.content_type) == ("two.txt", "text/plain")
    assert not (folder / first).exists()
    second = activity.stored_name

    answer = client.post(
        f"/courses/{course.id}/teach/boards/{board.id}/activities/{activity_id}",
        data={**FIELDS, "remove_file": "1"},
    )
    assert answer.status_code == 303
    activity = db.session.get(Activity, activity_id)
    assert (activity.filename, activity.stored_name, activity.content_type) == ("", "", "")
    assert not (folder / second).exists()
    student = sign_in(app.test_client(), make_student(course))
    assert (
        student.get(f"/courses/{course.id}/learn/activities/{activity_id}/file").status_code == 404
    )


def test_html_and_oversize_files_are_refused_next_to_the_field(
    app, client, db_session, monkeypatch
):
    course = make_course()
    board = make_board(course, choose_n=1)
    sign_in(client, make_teacher(course))
    before = files_in(app)

    refused = post_activity(client, board, "page.html", b"<html><script>alert(1)</script>")
    assert refused.status_code == 422
    assert "not accepted" in field_error(refused.get_data(as_text=True))
    assert 'enctype="multipart/form-data"' in refused.get_data(as_text=True)

    disguised = post_activity(client, board, "page.pdf", b"<html><script>alert(1)</script>")
    assert disguised.status_code == 422
    assert "does not match" in field_error(disguised.get_data(as_text=True))

    monkeypatch.setitem(app.config, "LTI_PL_MAX_UPLOAD_BYTES", 32)
    oversize = post_activity(client, board, "big.pdf", PDF)
    assert oversize.status_code == 422
    assert "larger than" in field_error(oversize.get_data(as_text=True))

    db.session.expire_all()
    assert db.session.query(Activity).filter_by(board_id=board.id).count() == 0
    assert files_in(app) == before


def test_a_board_rule_refusing_the_activity_keeps_no_file(app, client, db_session):
    course = make_course()
    board = make_board(course, choose_n=0)  # published: a may-do activity would break "choose 0"
    sign_in(client, make_teacher(course))
    before = files_in(app)
    answer = post_activity(client, board, "ok.pdf", PDF)
    assert answer.status_code == 422
    assert "may-do" in answer.get_data(as_text=True)
    assert files_in(app) == before


def test_a_student_of_another_course_gets_404(app, client, db_session):
    _course, board = teacher_uploaded(client, "handout.pdf", choose_n=1)
    activity_id = board.activities[0].id

    other = make_student(make_course())
    outsider = sign_in(app.test_client(), other)
    answer = outsider.get(f"/courses/{other.course_id}/learn/activities/{activity_id}/file")
    assert answer.status_code == 404
    assert answer.data != PDF


def test_students_do_not_get_files_of_draft_boards(app, client, db_session):
    course, board = teacher_uploaded(client, "handout.pdf", is_published=False)
    file_url = f"/courses/{course.id}/learn/activities/{board.activities[0].id}/file"
    assert client.get(file_url).status_code == 200
    student = sign_in(app.test_client(), make_student(course))
    assert student.get(file_url).status_code == 404


def test_a_student_cannot_upload(app, client, db_session):
    course = make_course()
    board = make_board(course, choose_n=1)
    before = files_in(app)
    sign_in(client, make_student(course))
    assert post_activity(client, board, "handout.pdf", PDF).status_code == 403
    db.session.expire_all()
    assert db.session.query(Activity).filter_by(board_id=board.id).count() == 0
    assert files_in(app) == before
