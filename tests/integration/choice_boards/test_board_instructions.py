"""A student on "assigned" with one may-do reads instructions about that one, not "choose 2"."""

from __future__ import annotations

from tests.integration.choice_boards.test_board_flow import build_board_over_http
from tests.support.builders import make_target
from tests.support.choice_builders import course, enrollment_of, launch


def test_instructions_match_what_is_assigned(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    target = make_target(course(course_id), "I can explain the water cycle")
    dee_browser, eli_browser = app.test_client(), app.test_client()
    launch(platform, dee_browser, "Learner", "dee")
    launch(platform, eli_browser, "Learner", "eli")
    board = build_board_over_http(client, course_id, target.id)  # choose_n = 2, 4 may-dos
    ids = {a.title: a.id for a in board.activities}
    dee = enrollment_of(course_id, "dee")
    client.post(
        f"/courses/{course_id}/teach/data-wall/structure",
        data={"enrollment_ids": [str(dee.id)], "structure": "assigned"},
    )
    client.post(
        f"/courses/{course_id}/teach/boards/{board.id}/assignments",
        data={f"assign-{dee.id}": [str(ids["Exit ticket"]), str(ids["Football rainfall stats"])]},
    )
    url = f"/courses/{course_id}/learn/boards/{board.id}"
    dee_page = dee_browser.get(url).get_data(as_text=True)
    assert "choose 2" not in dee_page.lower()
    assert "Do the must-do and the may-do assigned to you." in dee_page
    eli_page = eli_browser.get(url).get_data(as_text=True)
    assert "Do the must-do, and choose 2 of the 4 may-dos." in eli_page
