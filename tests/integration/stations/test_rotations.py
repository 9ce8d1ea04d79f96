"""Station rotations: planned from mastery, stored, edited, projected, and each student's place."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lti_pl.models.base import utcnow
from lti_pl.models.profiles import StationRotation
from tests.support.choice_builders import (
    assess,
    course,
    enrollment_of,
    launch,
    make_board,
    make_targets,
)

NAMES = ("ana", "ben", "cy", "dee", "eli")


def members(record: StationRotation) -> dict[int, list[int]]:
    return {g["number"]: sorted(s["enrollment_id"] for s in g["students"]) for g in record.groups}


def plan(client, course_id: int, target_id: int, **form: str):
    form = {"target_id": str(target_id), "slot_minutes": "12", "title": "Tuesday", **form}
    return client.post(f"/courses/{course_id}/teach/rotations", data=form)


def test_a_rotation_from_mastery_is_stored_edited_projected_and_shown_to_each_student(
    app, client, platform, db_session
):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    students = {u: app.test_client() for u in NAMES}
    for user_id, browser in students.items():
        launch(platform, browser, "Learner", user_id)
    (target,) = make_targets(course(course_id), 1)
    ids = {u: enrollment_of(course_id, u).id for u in NAMES}
    for user_id, score in (("ana", 4), ("ben", 3), ("cy", 2), ("dee", 1)):
        assess(enrollment_of(course_id, user_id), target, score)  # eli: no evidence
    make_board(
        course(course_id),
        target,
        [
            {"title": "Mini-lesson with me", "station": "teacher_led"},
            {"title": "Pair quiz", "station": "collaborative"},
            {"title": "Untagged reading"},
        ],
    )
    make_board(
        course(course_id),
        target,
        [{"title": "Draft idea", "station": "teacher_led"}],
        is_published=False,
    )

    response = plan(client, course_id, target.id)
    assert response.status_code == 303
    record = db_session.scalars(select(StationRotation)).one()
    assert (record.course_id, record.target_id, record.slot_minutes) == (course_id, target.id, 12)
    assert abs(record.starts_at - utcnow()) < timedelta(minutes=1)  # empty start: now
    # Group 1 is everyone below mastery (3) or without evidence; the rest split by level.
    assert members(record) == {
        1: sorted([ids["cy"], ids["dee"], ids["eli"]]),
        2: [ids["ben"]],
        3: [ids["ana"]],
    }

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'name="group-{ids["ana"]}"' in page
    assert "Mini-lesson with me" in page
    assert "Draft idea" not in page
    printable = client.get(response.headers["Location"] + "?print=1").get_data(as_text=True)
    assert 'name="group-' not in printable
    assert "Tuesday" in printable

    projector = client.get(f"/courses/{course_id}/teach/rotations/{record.id}/projector")
    assert projector.status_code == 200
    text = projector.get_data(as_text=True)
    assert "Slot 1 of 3" in text
    assert "Next rotation in" in text
    assert f'data-slot-seconds="{12 * 60}"' in text

    # Slot 1: group 1 teacher-led, group 2 collaborative, group 3 independent.
    dee_home = students["dee"].get(f"/courses/{course_id}/learn/").get_data(as_text=True)
    assert "Where am I now" in dee_home
    assert "Teacher-led station" in dee_home
    assert "Mini-lesson with me" in dee_home
    assert "Next: Collaborative station." in dee_home
    ben_home = students["ben"].get(f"/courses/{course_id}/learn/").get_data(as_text=True)
    assert "Collaborative station" in ben_home
    assert "Pair quiz" in ben_home
    assert "Teacher-led station" not in ben_home  # only their own placement

    # The teacher moves Ben to group 1 with his select; it is stored and Ben's home follows.
    moved = client.post(
        f"/courses/{course_id}/teach/rotations/{record.id}/groups",
        data={f"group-{ids['ben']}": "1", f"group-{ids['ana']}": "3"},
    )
    assert moved.status_code == 303
    db_session.expire_all()
    assert members(db_session.get(StationRotation, record.id))[1] == sorted(
        [ids["ben"], ids["cy"], ids["dee"], ids["eli"]]
    )
    assert "Teacher-led station" in students["ben"].get(f"/courses/{course_id}/learn/").get_data(
        as_text=True
    )

    # The teacher ends it early: nobody sees it any more, the projector says so.
    assert client.post(f"/courses/{course_id}/teach/rotations/{record.id}/end").status_code == 303
    assert "Where am I now" not in students["dee"].get(f"/courses/{course_id}/learn/").get_data(
        as_text=True
    )
    assert "Rotation finished" in client.get(
        f"/courses/{course_id}/teach/rotations/{record.id}/projector"
    ).get_data(as_text=True)


def test_only_running_rotations_show_on_the_student_home(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    browser = app.test_client()
    launch(platform, browser, "Learner", "ana")
    (target,) = make_targets(course(course_id), 1)
    later = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    earlier = (utcnow() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    for start in (later, earlier):  # upcoming, and finished (3 x 10 minutes)
        assert (
            plan(client, course_id, target.id, starts_at=start, slot_minutes="10").status_code
            == 303
        )
    assert "Where am I now" not in browser.get(f"/courses/{course_id}/learn/").get_data(
        as_text=True
    )
    upcoming = db_session.scalars(
        select(StationRotation).order_by(StationRotation.starts_at.desc())
    ).first()
    page = client.get(f"/courses/{course_id}/teach/rotations/{upcoming.id}/projector")
    assert "Starts in" in page.get_data(as_text=True)


def test_only_teachers_plan_and_ids_of_another_course_are_not_found(
    app, client, platform, db_session
):
    course_id = launch(platform, client, "Instructor", "teacher-1", context_id="course-1")
    target_id = make_targets(course(course_id), 1)[0].id
    student = app.test_client()
    launch(platform, student, "Learner", "ana", context_id="course-1")
    assert plan(client, course_id, target_id).status_code == 303
    rotation_id = db_session.scalars(select(StationRotation.id)).one()
    base = f"/courses/{course_id}/teach/rotations"
    for url in (base, f"{base}/{rotation_id}", f"{base}/{rotation_id}/projector"):
        assert student.get(url).status_code == 403
    assert plan(student, course_id, target_id).status_code == 403
    assert student.post(f"{base}/{rotation_id}/groups", data={}).status_code == 403

    other = app.test_client()
    other_id = launch(platform, other, "Instructor", "teacher-9", context_id="course-9")
    outsider = app.test_client()
    launch(platform, outsider, "Learner", "zed", context_id="course-9")
    zed = enrollment_of(other_id, "zed").id
    other_base = f"/courses/{other_id}/teach/rotations"
    assert other.get(f"{other_base}/{rotation_id}").status_code == 404
    assert other.get(f"{other_base}/{rotation_id}/projector").status_code == 404
    assert other.post(f"{other_base}/{rotation_id}/groups", data={}).status_code == 404
    assert other.post(f"{other_base}/{rotation_id}/end").status_code == 404
    assert student.post(f"{base}/{rotation_id}/end").status_code == 403
    assert plan(other, other_id, target_id).status_code == 404  # a target of course 1
    # A student of another course cannot be moved into this rotation.
    assert (
        client.post(f"{base}/{rotation_id}/groups", data={f"group-{zed}": "1"}).status_code == 404
    )
    assert plan(client, course_id, target_id, slot_minutes="0").status_code == 422


def test_a_start_time_far_from_today_or_malformed_is_refused(client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    target_id = make_targets(course(course_id), 1)[0].id
    for start, offset in (("9999-12-31T23:59", "900"), ("0001-01-01T00:00", "-900"), ("soon", "")):
        response = plan(client, course_id, target_id, starts_at=start, tz_offset=offset)
        assert response.status_code == 422
    assert db_session.scalars(select(StationRotation)).all() == []
    # The browser's offset (UTC minus local, minutes) turns the local time into UTC.
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    response = plan(client, course_id, target_id, starts_at=tomorrow, tz_offset="-60")
    assert response.status_code == 303
    assert db_session.scalars(select(StationRotation)).one().starts_at.hour == 8
