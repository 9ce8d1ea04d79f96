"""The teacher sets a path with prerequisites (circles refused); mastery unlocks steps."""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_pl.models.profiles import PathStep
from tests.support.choice_builders import assess, course, enrollment_of, launch, make_targets


def test_path_with_prerequisites_unlocks_with_mastery(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    browser = app.test_client()
    launch(platform, browser, "Learner", "ana")
    first, second, third = make_targets(course(course_id), 3)
    ids = first.id, second.id, third.id
    response = client.post(
        f"/courses/{course_id}/teach/path",
        data={
            "on_path": [str(i) for i in ids],
            f"position-{ids[0]}": "1",
            f"position-{ids[1]}": "2",
            f"position-{ids[2]}": "3",
            f"prerequisites-{ids[2]}": [str(ids[0])],
        },
    )
    assert response.status_code == 303
    steps = db_session.scalars(select(PathStep).order_by(PathStep.position)).all()
    assert [(s.target_id, s.prerequisites) for s in steps] == [
        (ids[0], []),
        (ids[1], []),
        (ids[2], [ids[0]]),
    ]

    def states() -> list[str]:
        html = browser.get(f"/courses/{course_id}/learn/path").get_data(as_text=True)
        return re.findall(r'data-state="(\w+)"', html)

    assert states() == ["available", "available", "locked"]
    assess(enrollment_of(course_id, "ana"), first, 4)
    assert states() == ["mastered", "available", "available"]


def test_circular_prerequisites_are_refused_with_the_targets_named(client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    first, second = make_targets(course(course_id), 2)
    response = client.post(
        f"/courses/{course_id}/teach/path",
        data={
            "on_path": [str(first.id), str(second.id)],
            f"position-{first.id}": "1",
            f"position-{second.id}": "2",
            f"prerequisites-{first.id}": [str(second.id)],
            f"prerequisites-{second.id}": [str(first.id)],
        },
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "circle" in text
    assert "I can skill 1" in text
    assert "I can skill 2" in text
    assert db_session.scalars(select(PathStep)).all() == []


def test_path_positions_and_ids_that_are_no_numbers_are_not_a_500(client, platform, db_session):
    # "--5" passed `lstrip("-").isdigit()` and "²" passed isdigit(); int() refused both. A
    # position that is no whole number counts as 0.
    course_id = launch(platform, client, "Instructor", "teacher-1")
    first, second = make_targets(course(course_id), 2)
    response = client.post(
        f"/courses/{course_id}/teach/path",
        data={
            "on_path": [str(first.id), str(second.id), "²", str(2**31)],
            f"position-{first.id}": "--5",
            f"position-{second.id}": "2",
            f"prerequisites-{second.id}": ["²", str(first.id)],
        },
    )
    assert response.status_code == 303
    steps = db_session.scalars(select(PathStep).order_by(PathStep.position)).all()
    assert [(s.target_id, s.prerequisites) for s in steps] == [
        (first.id, []),
        (second.id, [first.id]),
    ]


def test_students_cannot_edit_the_path(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    browser = app.test_client()
    launch(platform, browser, "Learner", "ana")
    assert browser.post(f"/courses/{course_id}/teach/path", data={}).status_code == 403
