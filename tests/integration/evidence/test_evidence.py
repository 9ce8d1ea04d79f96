"""Evidence: uploads stored safely, served only to those allowed; reassessment rules; quick grid."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import Assessment, Evidence, MasteryRecord, ReassessmentRequest
from lti_pl.services import evidence as service
from tests.support.builders import (
    T0,
    make_assessment,
    make_course,
    make_enrollment,
    make_evidence,
    make_observer_link,
    make_reassessment_request,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(client, student, target, name, content, **extra):
    return client.post(
        f"/courses/{student.course_id}/learn/targets/{target.id}/evidence",
        data={"kind": "file", "file": (io.BytesIO(content), name), **extra},
        content_type="multipart/form-data",
    )


def test_file_is_stored_under_a_random_name_and_served_as_an_attachment(app, client, db_session):
    course = make_course()
    student = make_student(course)
    target = make_target(course)
    sign_in(client, student)
    assert upload(client, student, target, "../../My Drawing.png", PNG).status_code == 303
    evidence = db.session.scalars(select(Evidence)).one()
    assert evidence.filename == "My_Drawing.png"
    assert evidence.content_type == "image/png"
    assert evidence.size == len(PNG)
    stored = Path(app.config["LTI_PL_UPLOAD_FOLDER"]) / evidence.stored_name
    assert stored.read_bytes() == PNG
    assert "Drawing" not in evidence.stored_name

    answer = client.get(f"/courses/{course.id}/learn/evidence/{evidence.id}/file")
    assert answer.status_code == 200
    assert answer.data == PNG
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"

    teacher = sign_in(app.test_client(), make_teacher(course))
    assert teacher.get(f"/courses/{course.id}/teach/evidence/{evidence.id}/file").status_code == 200


def test_html_and_mislabelled_files_are_refused(app, client, db_session):
    student = make_student()
    target = make_target(student.course)
    sign_in(client, student)
    folder = Path(app.config["LTI_PL_UPLOAD_FOLDER"])
    before = set(folder.glob("*"))
    refused = upload(client, student, target, "page.html", b"<script>alert(1)</script>")
    assert refused.status_code == 422
    assert "not accepted" in refused.get_data(as_text=True)
    disguised = upload(client, student, target, "page.png", b"<html><script>x</script>")
    assert disguised.status_code == 422
    assert "does not match" in disguised.get_data(as_text=True)
    assert db.session.scalars(select(Evidence)).all() == []
    assert set(folder.glob("*")) == before  # refused files are not left on disk


def test_files_over_the_limit_are_refused(app, client, db_session):
    app.config["LTI_PL_MAX_UPLOAD_BYTES"] = 32
    student = make_student()
    target = make_target(student.course)
    sign_in(client, student)
    answer = upload(client, student, target, "big.png", PNG)
    assert answer.status_code == 422
    assert "larger than" in answer.get_data(as_text=True)
    assert db.session.scalars(select(Evidence)).all() == []


#: The first bytes of an iPhone / iPad camera video (QuickTime, brand "qt  ") and of a
#: Chromebook screen recording (WebM: an EBML header).
IPAD_MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64
CHROMEBOOK_WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\x00" * 64


def test_videos_from_school_devices_are_accepted_and_disguised_ones_are_not(
    app, client, db_session
):
    # An iPad's camera hands Safari a .MOV (video/quicktime); a Chromebook records .webm. Both
    # were refused ("Files of this type are not accepted"): a student's video explanation lost.
    course = make_course()
    student = make_student(course)
    target = make_target(course)
    sign_in(client, student)
    assert upload(client, student, target, "IMG_0042.MOV", IPAD_MOV).status_code == 303
    assert (
        upload(client, student, target, "Screen recording.webm", CHROMEBOOK_WEBM).status_code == 303
    )
    stored = {e.filename: e.content_type for e in db.session.scalars(select(Evidence))}
    assert stored == {"IMG_0042.MOV": "video/quicktime", "Screen_recording.webm": "video/webm"}
    for name in ("fake.mov", "fake.webm"):
        refused = upload(client, student, target, name, PNG)
        assert refused.status_code == 422
        assert "does not match" in refused.get_data(as_text=True)
    mov = next(e for e in db.session.scalars(select(Evidence)) if e.filename.endswith(".MOV"))
    teacher = sign_in(app.test_client(), make_teacher(course))
    answer = teacher.get(f"/courses/{course.id}/teach/evidence/{mov.id}/file")
    assert answer.headers["Content-Type"] == "video/quicktime"
    assert answer.data == IPAD_MOV


def test_an_iphone_photo_in_its_own_format_is_refused_with_what_to_do(app, client, db_session):
    # A HEIC from the Files app: "not accepted" alone left a student with no way forward.
    student = make_student()
    target = make_target(student.course)
    sign_in(client, student)
    refused = upload(client, student, target, "IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic" + PNG)
    assert refused.status_code == 422
    assert "choose the photo from Photos (the iPad sends it as a JPEG)" in refused.get_data(
        as_text=True
    )
    assert db.session.scalars(select(Evidence)).all() == []


def test_a_request_past_the_servers_limit_is_a_page_that_says_the_limit(app, client, db_session):
    # Past MAX_CONTENT_LENGTH Flask refuses the request before the view: the page said only
    # "That upload is too large." (what limit? was my text kept?).
    app.config["MAX_CONTENT_LENGTH"] = 4096
    app.config["LTI_PL_MAX_UPLOAD_BYTES"] = 3 * 1024 * 1024 // 2
    student = make_student()
    target = make_target(student.course)
    sign_in(client, student)
    answer = upload(client, student, target, "big.png", PNG + b"\x00" * 8192)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 413
    assert "larger than the 1.5 MB this tool accepts: nothing was saved" in page
    assert "hand in a link to it" in page
    assert db.session.scalars(select(Evidence)).all() == []


def test_another_students_evidence_is_not_found(app, client, db_session):
    course = make_course()
    owner, other = make_student(course), make_student(course)
    evidence = make_evidence(owner, make_target(course), "mine", kind="text")
    sign_in(client, other)
    assert client.get(f"/courses/{course.id}/learn/evidence/{evidence.id}/file").status_code == 404


def test_observers_read_only_their_linked_students_files(app, client, db_session):
    course = make_course()
    student = make_student(course)
    target = make_target(course)
    sign_in(client, student)
    upload(client, student, target, "work.png", PNG)
    evidence = db.session.scalars(select(Evidence)).one()
    linked = make_enrollment(course, "observer")
    make_observer_link(linked, student)
    stranger = make_enrollment(course, "observer")
    url = f"/courses/{course.id}/learn/evidence/{evidence.id}/file"
    assert sign_in(app.test_client(), linked).get(url).status_code == 200
    assert sign_in(app.test_client(), stranger).get(url).status_code == 404


def test_teacher_of_another_course_cannot_assess_or_download(app, client, db_session):
    course = make_course()
    student = make_student(course)
    target = make_target(course)
    evidence = make_evidence(student, target)
    ready = service.request_reassessment(student, target.id, "", now=T0)
    db.session.commit()
    outsider = sign_in(client, make_teacher())
    base = f"/courses/{outsider_course(outsider)}/teach"
    assert outsider.get(f"{base}/evidence/{evidence.id}/file").status_code == 404
    assert outsider.post(f"{base}/assess/{ready.id}", data={"score": "4"}).status_code == 404
    assert db.session.scalars(select(Assessment)).all() == []


def outsider_course(client):
    with client.session_transaction(base_url="https://tool.test") as session:
        return next(iter(session["launches"]))


def test_reassessment_refused_without_relearning_then_allowed_after_practice(
    app, client, db_session
):
    course = make_course(reassessment_policy={"max_attempts": 1, "relearning": "practice_activity"})
    student = make_student(course)
    target = make_target(course)
    make_assessment(student, target, 1)
    sign_in(client, student)
    url = f"/courses/{course.id}/learn/targets/{target.id}/ready"
    refused = client.post(url, data={"note": ""})
    assert refused.status_code == 403
    assert "finish a practice activity" in refused.get_data(as_text=True)

    service.log_practice(student.id, target.id, activity_id=7, now=T0.replace(day=4))
    db.session.commit()
    assert client.post(url, data={"note": "done the practice"}).status_code == 303
    ready = db.session.scalars(select(ReassessmentRequest)).one()
    assert ready.is_reassessment


def test_reflection_unlocks_reassessment_under_reflection_policy(app, client, db_session):
    course = make_course(reassessment_policy={"relearning": "reflection"})
    student = make_student(course)
    target = make_target(course)
    make_assessment(student, target, 2)
    sign_in(client, student)
    base = f"/courses/{course.id}/learn/targets/{target.id}"
    assert client.post(f"{base}/relearning", data={"reflection": ""}).status_code == 422
    assert (
        client.post(f"{base}/relearning", data={"reflection": "I redid the set"}).status_code == 303
    )
    assert client.post(f"{base}/ready").status_code == 303


def test_quick_grid_saves_many_scores_in_one_post(app, client, db_session):
    course = make_course()
    teacher = make_teacher(course)
    s1, s2 = make_student(course), make_student(course)
    t1, t2 = make_target(course), make_target(course)
    sign_in(client, teacher)
    page = client.get(f"/courses/{course.id}/teach/quick-grid").get_data(as_text=True)
    assert f'name="score_{s1.id}_{t2.id}"' in page
    answer = client.post(
        f"/courses/{course.id}/teach/quick-grid",
        data={
            f"score_{s1.id}_{t1.id}": "3",
            f"score_{s1.id}_{t2.id}": "",
            f"score_{s2.id}_{t1.id}": "1",
            f"score_{s2.id}_{t2.id}": "4",
            "comment": "Station check",
        },
    )
    assert answer.status_code == 303
    records = {
        (r.enrollment_id, r.target_id): r.label for r in db.session.scalars(select(MasteryRecord))
    }
    assert records == {
        (s1.id, t1.id): "Mastery",
        (s2.id, t1.id): "Below Mastery",
        (s2.id, t2.id): "Exceeds Mastery",
    }
    sources = {a.source for a in db.session.scalars(select(Assessment))}
    assert sources == {"quick_grid"}


def test_quick_grid_with_one_bad_cell_saves_nothing(app, client, db_session):
    course = make_course()
    teacher = make_teacher(course)
    student = make_student(course)
    t1, t2 = make_target(course), make_target(course)
    sign_in(client, teacher)
    answer = client.post(
        f"/courses/{course.id}/teach/quick-grid",
        data={f"score_{student.id}_{t1.id}": "3", f"score_{student.id}_{t2.id}": "7"},
    )
    assert answer.status_code == 422
    assert "Scores go from 0 to 4" in answer.get_data(as_text=True)
    assert db.session.scalars(select(Assessment)).all() == []


def test_quick_grid_and_assessment_ignore_ids_no_row_can_have(app, client, db_session):
    # "²".isdigit() is True but int("²") raises: both posts failed with a 500.
    course = make_course()
    teacher = make_teacher(course)
    student = make_student(course)
    target = make_target(course)
    ready = make_reassessment_request(student, target)
    sign_in(client, teacher)
    grid = client.post(
        f"/courses/{course.id}/teach/quick-grid",
        data={f"score_{student.id}_{target.id}": "3", f"score_²_{target.id}": "4"},
    )
    assert grid.status_code == 303
    assessed = client.post(
        f"/courses/{course.id}/teach/assess/{ready.id}", data={"score": "2", "evidence_id": "²"}
    )
    assert assessed.status_code == 303
    scores = sorted(a.score for a in db.session.scalars(select(Assessment)))
    assert scores == [2.0, 3.0]


def test_a_refused_reflection_is_shown_when_relearning_is_not_needed(app, client, db_session):
    # The relearning form (and so its error) only shows below mastery: a 422 with no reason.
    course = make_course()
    student = make_student(course)
    target = make_target(course)
    sign_in(client, student)
    answer = client.post(
        f"/courses/{course.id}/learn/targets/{target.id}/relearning", data={"reflection": ""}
    )
    assert answer.status_code == 422
    assert "Write what you relearned and how." in answer.get_data(as_text=True)


def test_student_pages_show_level_explanation_and_are_closed_to_teachers_urls(
    app, client, db_session
):
    course = make_course()
    student = make_student(course)
    target = make_target(course, "I can explain photosynthesis")
    make_assessment(student, target, 2, comment="Add the light reactions")
    from lti_pl.services.mastery import recompute

    recompute(student.id, target.id, now=T0)
    db.session.commit()
    sign_in(client, student)
    home = client.get(f"/courses/{course.id}/learn/").get_data(as_text=True)
    assert "0 of 1 targets mastered" in home
    assert "Near Mastery" in home
    page = client.get(f"/courses/{course.id}/learn/targets").get_data(as_text=True)
    assert "a 4 next time would reach Mastery" in page
    # What counts, in plain words from the method's record, not the method's name.
    assert "Your recent work counts most: you are at 2, Near Mastery" in page
    assert "decaying average" not in page.lower()
    assert client.get(f"/courses/{course.id}/teach/assess").status_code == 403
