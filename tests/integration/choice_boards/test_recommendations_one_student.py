"""The teacher's recommendations page shows one student when the teacher picks one."""

from __future__ import annotations

from tests.integration.choice_boards.test_board_flow import build_board_over_http
from tests.support.builders import make_target
from tests.support.choice_builders import course, enrollment_of, launch


def test_the_teacher_picks_one_student(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    target = make_target(course(course_id), "I can explain the water cycle")
    for user_id in ("dee", "eli"):
        launch(platform, app.test_client(), "Learner", user_id)
    board = build_board_over_http(client, course_id, target.id)
    dee, eli = enrollment_of(course_id, "dee"), enrollment_of(course_id, "eli")
    url = f"/courses/{course_id}/teach/boards/{board.id}/recommendations"

    everyone = client.get(url).get_data(as_text=True)
    assert f'id="student-{dee.id}"' in everyone
    assert f'id="student-{eli.id}"' in everyone
    assert '<select id="student" name="student">' in everyone

    one = client.get(url, query_string={"student": str(eli.id)}).get_data(as_text=True)
    assert f'id="student-{eli.id}"' in one
    assert f'id="student-{dee.id}"' not in one
    assert f'<option value="{eli.id}" selected>' in one

    unknown = client.get(url, query_string={"student": "99999999999999"})
    assert unknown.status_code == 200
    assert f'id="student-{dee.id}"' in unknown.get_data(as_text=True)


def test_a_large_class_comes_a_page_of_students_at_a_time(
    app, client, platform, db_session, monkeypatch
):
    """300 students made one page of 642 kB: the rankings come RANKINGS_PAGE students a page."""
    from lti_pl.web.instructor import choice_boards as views

    monkeypatch.setattr(views, "RANKINGS_PAGE", 2)
    course_id = launch(platform, client, "Instructor", "teacher-1")
    target = make_target(course(course_id), "I can explain the water cycle")
    for user_id in ("ann", "bo", "cy"):
        launch(platform, app.test_client(), "Learner", user_id)
    board = build_board_over_http(client, course_id, target.id)
    url = f"/courses/{course_id}/teach/boards/{board.id}/recommendations"

    first = client.get(url).get_data(as_text=True)
    second = client.get(url, query_string={"page": "2"}).get_data(as_text=True)

    ids = {enrollment_of(course_id, u).id for u in ("ann", "bo", "cy")}
    shown_first = {i for i in ids if f'id="student-{i}"' in first}
    shown_second = {i for i in ids if f'id="student-{i}"' in second}
    assert len(shown_first) == 2
    assert shown_first | shown_second == ids
    assert not shown_first & shown_second
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first
    assert 'rel="prev"' in second
    assert f'<option value="{enrollment_of(course_id, "cy").id}"' in second  # the picker has all
    assert client.get(url, query_string={"page": "0"}).status_code == 422
