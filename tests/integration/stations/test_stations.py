"""The station planner proposes groups from assessed mastery; the teacher moves and saves."""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_pl.models.profiles import StationPlanRecord
from tests.support.choice_builders import assess, course, enrollment_of, launch, make_targets


def test_plan_follows_mastery_and_keeps_the_teachers_moves(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    names = ("ana", "ben", "cy", "dee", "eli")
    for user_id in names:
        launch(platform, app.test_client(), "Learner", user_id)
    (target,) = make_targets(course(course_id), 1)
    target_id = target.id
    ids = {u: enrollment_of(course_id, u).id for u in names}
    for user_id, score in (("ana", 4), ("ben", 3), ("cy", 2), ("dee", 1)):
        assess(enrollment_of(course_id, user_id), target, score)  # eli: no evidence

    page = client.get(
        f"/courses/{course_id}/teach/stations?target_id={target_id}&max_group_size=2"
    ).get_data(as_text=True)

    def group_of(html: str, enrollment_id: int) -> str:
        block = html.split(f'name="group-{enrollment_id}"', 1)[1].split("</select>", 1)[0]
        return re.search(r'<option value="([^"]+)" selected>', block).group(1)

    assert group_of(page, ids["dee"]) == "teacher_led-1"
    assert group_of(page, ids["eli"]) == "teacher_led-1"
    assert group_of(page, ids["cy"]) == "collaborative-1"
    assert group_of(page, ids["ana"]) == "independent-1"
    assert group_of(page, ids["ben"]) == "independent-1"

    form = {f"group-{i}": group_of(page, i) for i in ids.values()}
    form[f"group-{ids['ben']}"] = "collaborative-1"  # the teacher's move
    form.update({"target_id": str(target_id), "max_group_size": "2", "title": "Monday"})
    response = client.post(f"/courses/{course_id}/teach/stations", data=form)
    assert response.status_code == 303
    record = db_session.scalars(
        select(StationPlanRecord).where(StationPlanRecord.course_id == course_id)
    ).one()
    groups = {
        g["key"]: sorted(s["enrollment_id"] for s in g["students"]) for g in record.plan["groups"]
    }
    assert groups["collaborative-1"] == sorted([ids["cy"], ids["ben"]])
    assert groups["independent-1"] == [ids["ana"]]
    assert groups["teacher_led-1"] == sorted([ids["dee"], ids["eli"]])
    printable = client.get(response.headers["Location"])
    assert printable.status_code == 200
    assert "Monday" in printable.get_data(as_text=True)


def test_students_cannot_plan_stations(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    browser = app.test_client()
    launch(platform, browser, "Learner", "ana")
    assert browser.get(f"/courses/{course_id}/teach/stations").status_code == 403
    assert browser.post(f"/courses/{course_id}/teach/stations", data={}).status_code == 403


def test_bad_group_size_is_refused(client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    response = client.get(f"/courses/{course_id}/teach/stations?max_group_size=0")
    assert response.status_code == 422


def test_ids_that_no_row_can_have_are_ignored_not_a_500(client, platform, db_session):
    # "²".isdigit() is True but int("²") raises; so does int() of 5,000 digits.
    course_id = launch(platform, client, "Instructor", "teacher-1")
    (target,) = make_targets(course(course_id), 1)
    page = client.get(f"/courses/{course_id}/teach/stations?target_id=²")
    assert page.status_code == 200
    response = client.post(
        f"/courses/{course_id}/teach/stations",
        data={"target_id": str(target.id), "group-²": "x", "group-" + "9" * 5000: "x"},
    )
    assert response.status_code == 303
    assert db_session.scalars(select(StationPlanRecord)).one().target_id == target.id
