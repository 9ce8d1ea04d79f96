"""A teacher builds a board over HTTP; three students with different profiles get different,
explained rankings; an "assigned" student sees only their activities; practice counts as
relearning."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity, ActivityAssignment, ActivityProgress, ChoiceBoard
from lti_pl.models.evidence import RelearningLog
from tests.support.builders import make_target
from tests.support.choice_builders import ACTIVITY_IDS, assess, course, enrollment_of, launch

ACTIVITIES = [
    # title, modality, interests, readiness, requirement
    ("Exit ticket", "practise", "", "practice", "must_do"),
    ("Sketch the water cycle", "create", "drawing", "practice", "may_do"),
    ("Watch the river video", "watch", "nature", "reteach", "may_do"),
    ("Football rainfall stats", "practise", "football", "practice", "may_do"),
    ("Design a rain gauge", "create", "engineering", "extension", "may_do"),
]


def titles_in_order(html: str, by_id: dict[int, str]) -> list[str]:
    return [by_id[int(i)] for i in ACTIVITY_IDS.findall(html)]


def why_of(html: str, activity_id: int) -> str:
    block = html.split(f'id="activity-{activity_id}"', 1)[1].split("</article>", 1)[0]
    match = re.search(r'<p class="why">Why: (.*?)</p>', block, re.S)
    assert match, block
    return match.group(1)


def build_board_over_http(client, course_id: int, target_id: int) -> SimpleNamespace:
    response = client.post(
        f"/courses/{course_id}/teach/boards",
        data={
            "title": "Water cycle",
            "target_id": str(target_id),
            "layout": "menu",
            "choose_n": "2",
        },
    )
    assert response.status_code == 303
    board_url = response.headers["Location"]
    board_id = int(board_url.rstrip("/").rsplit("/", 1)[1])
    for title, modality, interests, readiness, requirement in ACTIVITIES:
        response = client.post(
            f"/courses/{course_id}/teach/boards/{board_id}/activities",
            data={
                "title": title,
                "instructions": "Read **this** <script>alert(1)</script> [site](https://example.org)",
                "modality": modality,
                "interests": interests,
                "readiness": readiness,
                "minutes": "20",
                "station": "",
                "requirement": requirement,
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)
    response = client.post(
        f"/courses/{course_id}/teach/boards/{board_id}/publish", data={"publish": "1"}
    )
    assert response.status_code == 303
    board = db.session.get(ChoiceBoard, board_id)
    assert board.is_published
    assert [a.title for a in board.activities] == [a[0] for a in ACTIVITIES]
    # A snapshot: the request's teardown detaches rows loaded here.
    return SimpleNamespace(
        id=board.id,
        activities=[SimpleNamespace(id=a.id, title=a.title) for a in board.activities],
    )


def test_three_students_get_different_explained_rankings(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    target = make_target(course(course_id), "I can explain the water cycle")
    students = {}
    for user_id, interests, modalities in (
        ("ana", "drawing, art", ["create"]),
        ("ben", "football", ["practise"]),
        ("cy", "nature", ["watch"]),
    ):
        browser = app.test_client()
        launch(platform, browser, "Learner", user_id)
        response = browser.post(
            f"/courses/{course_id}/learn/profile",
            data={"interests": interests, "modalities": modalities},
        )
        assert response.status_code == 303
        students[user_id] = browser
    board = build_board_over_http(client, course_id, target.id)
    by_id = {a.id: a.title for a in board.activities}
    ids = {a.title: a.id for a in board.activities}
    # ana near mastery (practice), ben well below (reteach), cy mastered (extension).
    assess(enrollment_of(course_id, "ana"), target, 2)
    assess(enrollment_of(course_id, "ben"), target, 1)
    assess(enrollment_of(course_id, "cy"), target, 4)

    pages = {u: b.get(f"/courses/{course_id}/learn/boards/{board.id}") for u, b in students.items()}
    assert all(p.status_code == 200 for p in pages.values())
    html = {u: p.get_data(as_text=True) for u, p in pages.items()}
    orders = {u: titles_in_order(h, by_id) for u, h in html.items()}
    # Must-do first for everyone; then each student's best fit.
    assert all(order[0] == "Exit ticket" for order in orders.values())
    assert orders["ana"][1] == "Sketch the water cycle"
    assert orders["ben"][1:3] == ["Watch the river video", "Football rainfall stats"]
    assert orders["cy"][1] == "Design a rain gauge"
    assert len({tuple(o) for o in orders.values()}) == 3
    assert why_of(html["ana"], ids["Sketch the water cycle"]) == (
        "You are at Near Mastery and this is practice, and you like drawing and prefer to create."
    )
    assert "Below Mastery and this is reteaching" in why_of(
        html["ben"], ids["Watch the river video"]
    )
    assert "You like football" in why_of(html["ben"], ids["Football rainfall stats"])
    assert "Mastery and this is an extension" in why_of(html["cy"], ids["Design a rain gauge"])
    assert "Must-do on this board." in why_of(html["cy"], ids["Exit ticket"])
    # Markdown is rendered, scripts are not, links get rel=noopener.
    assert "<strong>this</strong>" in html["ana"]
    assert "<script>alert(1)</script>" not in html["ana"]
    assert 'href="https://example.org" rel="noopener"' in html["ana"]

    # The teacher sees each student's ranking with the same reasons.
    teacher_view = client.get(f"/courses/{course_id}/teach/boards/{board.id}/recommendations")
    text = teacher_view.get_data(as_text=True)
    assert teacher_view.status_code == 200
    assert "You like football" in text
    assert "Ana" in text


def test_assigned_student_sees_only_assigned_activities(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    target = make_target(course(course_id), "I can explain the water cycle")
    browser = app.test_client()
    launch(platform, browser, "Learner", "dee")
    other = app.test_client()
    launch(platform, other, "Learner", "eli")
    board = build_board_over_http(client, course_id, target.id)
    ids = {a.title: a.id for a in board.activities}
    dee = enrollment_of(course_id, "dee")

    # Bulk dial change from the data wall, then the teacher assigns two activities.
    response = client.post(
        f"/courses/{course_id}/teach/data-wall/structure",
        data={"enrollment_ids": [str(dee.id)], "structure": "assigned"},
    )
    assert response.status_code == 303
    db_session.refresh(dee)
    assert dee.structure == "assigned"
    chosen = [ids["Exit ticket"], ids["Football rainfall stats"]]
    response = client.post(
        f"/courses/{course_id}/teach/boards/{board.id}/assignments",
        data={f"assign-{dee.id}": [str(i) for i in chosen]},
    )
    assert response.status_code == 303
    rows = db_session.scalars(
        select(ActivityAssignment.activity_id).where(ActivityAssignment.enrollment_id == dee.id)
    ).all()
    assert sorted(rows) == sorted(chosen)

    page = browser.get(f"/courses/{course_id}/learn/boards/{board.id}").get_data(as_text=True)
    assert sorted(int(i) for i in ACTIVITY_IDS.findall(page)) == sorted(chosen)
    assert "Your teacher assigned this" in page
    # A locked activity cannot be started by posting directly.
    locked = browser.post(
        f"/courses/{course_id}/learn/activities/{ids['Sketch the water cycle']}/status",
        data={"status": "in_progress"},
    )
    assert locked.status_code == 403
    # A student on the course default still sees everything.
    all_ids = ACTIVITY_IDS.findall(
        other.get(f"/courses/{course_id}/learn/boards/{board.id}").get_data(as_text=True)
    )
    assert len(all_ids) == len(ACTIVITIES)


def test_finishing_a_practice_activity_logs_relearning(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    target = make_target(course(course_id), "I can explain the water cycle")
    board = build_board_over_http(client, course_id, target.id)
    browser = app.test_client()
    launch(platform, browser, "Learner", "fay")
    fay = enrollment_of(course_id, "fay")
    sketch = next(a for a in board.activities if a.title == "Sketch the water cycle")
    url = f"/courses/{course_id}/learn/activities/{sketch.id}/status"
    assert browser.post(url, data={"status": "done"}).status_code == 422  # must start first
    assert browser.post(url, data={"status": "in_progress"}).status_code == 303
    response = browser.post(url, data={"status": "done", "reflection": "Drew it twice."})
    assert response.status_code == 303
    row = db_session.scalars(
        select(ActivityProgress).where(ActivityProgress.enrollment_id == fay.id)
    ).one()
    assert (row.status, row.reflection) == ("done", "Drew it twice.")
    logs = db_session.scalars(
        select(RelearningLog).where(RelearningLog.enrollment_id == fay.id)
    ).all()
    assert [(log.target_id, log.activity_id) for log in logs] == [(target.id, sketch.id)]
    page = browser.get(f"/courses/{course_id}/learn/boards/{board.id}").get_data(as_text=True)
    assert "Drew it twice." in page
    # An extension activity is not relearning.
    design = next(a for a in board.activities if a.title == "Design a rain gauge")
    url = f"/courses/{course_id}/learn/activities/{design.id}/status"
    browser.post(url, data={"status": "in_progress"})
    browser.post(url, data={"status": "done"})
    assert (
        db_session.scalars(select(RelearningLog).where(RelearningLog.enrollment_id == fay.id)).all()
        == logs
    )


def test_teacher_reorders_with_up_and_down_buttons(client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    target = make_target(course(course_id))
    board = build_board_over_http(client, course_id, target.id)
    first, second = board.activities[0].id, board.activities[1].id
    response = client.post(
        f"/courses/{course_id}/teach/boards/{board.id}/activities/{second}/move",
        data={"direction": "up"},
    )
    assert response.status_code == 303
    db_session.expire_all()
    order = db_session.scalars(
        select(Activity.id).where(Activity.board_id == board.id).order_by(Activity.position)
    ).all()
    assert order[:2] == [second, first]
    page = client.get(f"/courses/{course_id}/teach/boards/{board.id}").get_data(as_text=True)
    assert page.index(f'id="activity-{second}"') < page.index(f'id="activity-{first}"')
    assert 'aria-label="Move Sketch the water cycle up"' in page


def test_tic_tac_toe_board_needs_nine_activities_to_publish(client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    response = client.post(
        f"/courses/{course_id}/teach/boards",
        data={"title": "Grid", "layout": "tic_tac_toe", "choose_n": "3"},
    )
    board_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    client.post(
        f"/courses/{course_id}/teach/boards/{board_id}/activities",
        data={
            "title": "Only one",
            "modality": "read",
            "readiness": "practice",
            "minutes": "5",
            "requirement": "may_do",
        },
    )
    response = client.post(
        f"/courses/{course_id}/teach/boards/{board_id}/publish", data={"publish": "1"}
    )
    assert response.status_code == 422
    assert "exactly 9 activities" in response.get_data(as_text=True)
    assert db_session.get(ChoiceBoard, board_id).is_published is False


def test_activity_form_errors_are_shown_next_to_the_field(client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    response = client.post(
        f"/courses/{course_id}/teach/boards", data={"title": "B", "layout": "menu"}
    )
    board_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    response = client.post(
        f"/courses/{course_id}/teach/boards/{board_id}/activities",
        data={
            "title": "Video",
            "modality": "watch",
            "readiness": "practice",
            "minutes": "500",
            "requirement": "may_do",
            "link_url": "javascript:alert(1)",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="link_url-error"' in page or 'id="minutes-error"' in page
    assert db_session.scalars(select(Activity).where(Activity.board_id == board_id)).all() == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"choose_n": str(10**12)}, "Students can choose at most 100 may-dos."),
        ({"target_id": str(2**31)}, "Choose from the list."),
        ({"target_id": "²"}, "Choose from the list."),
    ],
    ids=["choose-n-past-the-column", "target-id-past-the-column", "target-id-not-ascii"],
)
def test_board_numbers_no_column_can_hold_are_refused(client, platform, db_session, form, message):
    # choose_n overflowed SQLite when the board was flushed, and a target id past 2**31 failed
    # PostgreSQL ("integer out of range"): both were a 500.
    course_id = launch(platform, client, "Instructor", "teacher-1")
    response = client.post(
        f"/courses/{course_id}/teach/boards", data={"title": "B", "layout": "menu"} | form
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalars(select(ChoiceBoard)).all() == []


def test_assignments_and_copies_ignore_ids_no_row_can_have(client, platform, db_session):
    # "²".isdigit() is True but int("²") raises: both posts failed with a 500.
    course_id = launch(platform, client, "Instructor", "teacher-1")
    board = build_board_over_http(client, course_id, make_target(course(course_id)).id)
    base = f"/courses/{course_id}/teach/boards/{board.id}"
    assigned = client.post(f"{base}/assignments", data={"assign-²": "1"})
    assert assigned.status_code == 303
    copied = client.post(f"{base}/duplicate", data={"to_course_id": "²"})
    assert copied.status_code == 303
    assert len(db_session.scalars(select(ChoiceBoard)).all()) == 2  # copied in this course


def test_duplicate_board_to_another_course_the_teacher_teaches(client, platform, db_session):
    first = launch(platform, client, "Instructor", "teacher-1", context_id="course-1")
    target = make_target(course(first), "I can explain the water cycle")
    board = build_board_over_http(client, first, target.id)
    second = launch(platform, client, "Instructor", "teacher-1", context_id="course-2")
    twin = make_target(course(second), "I can explain the water cycle")
    page = client.get(f"/courses/{first}/teach/boards/{board.id}").get_data(as_text=True)
    assert f'<option value="{second}">' in page
    response = client.post(
        f"/courses/{first}/teach/boards/{board.id}/duplicate", data={"to_course_id": str(second)}
    )
    assert response.status_code == 303
    copy = db_session.scalars(select(ChoiceBoard).where(ChoiceBoard.course_id == second)).one()
    assert copy.target_id == twin.id
    assert copy.is_published is False
    assert [a.title for a in copy.activities] == [a.title for a in board.activities]


def test_duplicate_refused_to_a_course_the_teacher_does_not_teach(client, platform, db_session):
    first = launch(platform, client, "Instructor", "teacher-1", context_id="course-1")
    board = build_board_over_http(client, first, make_target(course(first)).id)
    other = launch(platform, client, "Learner", "teacher-1", context_id="course-3")
    response = client.post(
        f"/courses/{first}/teach/boards/{board.id}/duplicate", data={"to_course_id": str(other)}
    )
    assert response.status_code == 403
    assert db_session.scalars(select(ChoiceBoard).where(ChoiceBoard.course_id == other)).all() == []


def test_students_cannot_open_teacher_board_pages_or_drafts(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    response = client.post(
        f"/courses/{course_id}/teach/boards", data={"title": "Draft", "layout": "menu"}
    )
    board_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    browser = app.test_client()
    launch(platform, browser, "Learner", "gus")
    assert browser.get(f"/courses/{course_id}/teach/boards/{board_id}").status_code == 403
    assert browser.get(f"/courses/{course_id}/learn/boards/{board_id}").status_code == 404
    other_course = launch(platform, client, "Instructor", "teacher-9", context_id="course-9")
    assert client.get(f"/courses/{other_course}/teach/boards/{board_id}").status_code == 404
