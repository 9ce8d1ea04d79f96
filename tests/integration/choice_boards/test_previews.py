"""Preview — what a student sees: a board and a target, for a chosen or a sample student."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from tests.support.builders import make_target
from tests.support.choice_builders import (
    ACTIVITY_IDS,
    assess,
    course,
    enrollment_of,
    launch,
    make_board,
)

FORM = re.compile(r"<form[^>]*>", re.S)


def forms_that_write(html: str) -> list[str]:
    """Every <form> of the page's content but the preview's own GET picker."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return [f for f in FORM.findall(main) if 'method="get"' not in f]


def setup(platform, client, app):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    for user_id, name in (("ana", "Ana Lopez"), ("ben", "Ben Ode")):
        launch(platform, app.test_client(), "Learner", user_id, name=name)
    target = make_target(course(course_id), "I can explain the water cycle")
    board = make_board(
        course(course_id),
        target,
        [
            {"title": "Exit ticket", "requirement": "must_do"},
            {"title": "Reteach video", "readiness": "reteach"},
            {"title": "Design a rain gauge", "readiness": "extension"},
        ],
        is_published=False,  # a draft: the teacher checks it before students see it
    )
    assess(enrollment_of(course_id, "ana"), target, 4)
    return course_id, target.id, board.id, enrollment_of(course_id, "ana").id


def test_board_preview_draws_the_students_screen_read_only(app, client, platform, db_session):
    course_id, _, board_id, ana = setup(platform, client, app)
    enrollments = db.session.scalar(select(func.count(Enrollment.id)))

    page = client.get(f"/courses/{course_id}/teach/boards/{board_id}/preview?student={ana}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Preview — what Ana Lopez sees" in html
    assert len(ACTIVITY_IDS.findall(html)) == 3
    assert "Mastery and this is an extension" in html  # Ana's own reasons
    assert "Start" in html  # the buttons she sees, disabled
    assert 'fieldset class="preview-controls" disabled' in html
    assert forms_that_write(html) == []

    sample = client.get(f"/courses/{course_id}/teach/boards/{board_id}/preview")
    text = sample.get_data(as_text=True)
    assert sample.status_code == 200
    assert "Preview — what a sample student sees" in text
    assert "Mastery and this is an extension" not in text  # no evidence: no mastery reasons
    assert forms_that_write(text) == []
    assert db.session.scalar(select(func.count(Enrollment.id))) == enrollments  # nothing saved

    # The board's page links to its preview.
    board_page = client.get(f"/courses/{course_id}/teach/boards/{board_id}").get_data(as_text=True)
    assert f"/teach/boards/{board_id}/preview" in board_page


def test_target_preview_shows_the_students_level_and_no_form_that_writes(
    app, client, platform, db_session
):
    course_id, target_id, _, ana = setup(platform, client, app)
    page = client.get(f"/courses/{course_id}/teach/targets/{target_id}/preview?student={ana}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Preview — what Ana Lopez sees" in html
    assert "I can explain the water cycle" in html
    assert "Exceeds Mastery" in html  # her level (a 4)
    assert "Submit evidence" in html
    assert forms_that_write(html) == []
    assert 'class="preview-controls" disabled' in html  # the evidence form, drawn disabled

    sample = client.get(f"/courses/{course_id}/teach/targets/{target_id}/preview?student=sample")
    assert sample.status_code == 200
    assert "No evidence yet." in sample.get_data(as_text=True)
    targets = client.get(f"/courses/{course_id}/teach/targets").get_data(as_text=True)
    assert f"/teach/targets/{target_id}/preview" in targets


def test_previews_are_for_the_course_teacher_and_its_students_only(
    app, client, platform, db_session
):
    course_id, target_id, board_id, ana = setup(platform, client, app)
    other_course = launch(platform, app.test_client(), "Instructor", "t2", context_id="course-2")
    launch(platform, app.test_client(), "Learner", "zed", context_id="course-2")
    zed = enrollment_of(other_course, "zed").id
    base = f"/courses/{course_id}/teach"
    # A student of another course is not someone to preview here.
    assert client.get(f"{base}/boards/{board_id}/preview?student={zed}").status_code == 404
    assert client.get(f"{base}/targets/{target_id}/preview?student={zed}").status_code == 404

    student = app.test_client()
    launch(platform, student, "Learner", "ana", name="Ana Lopez")
    assert student.get(f"{base}/boards/{board_id}/preview?student={ana}").status_code == 403
    assert student.get(f"{base}/targets/{target_id}/preview").status_code == 403
