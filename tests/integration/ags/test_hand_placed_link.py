"""A link placed by hand in the LMS (no deep linking: Moodle "accept grades from the tool", a
Canvas assignment with an external tool submission) launches with a `lineitem` claim but no
custom parameters naming targets. Its teacher says once what the column holds; grades then flow."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.courses import ResourceLink
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget
from tests.support.grades import ags_claim, course_id_from, evidence_assessed, push_now

pytestmark = pytest.mark.platform_profiles("moodle", "canvas")

LINK = "hand-placed-1"


def hand_placed(platform, column: str) -> dict:
    """The claims of a launch of the hand-placed activity: a `lineitem`, no custom targets."""
    return {"resource_link_id": LINK, "custom": {}, **ags_claim(platform, column)}


def placed_link() -> ResourceLink:
    """The tool's record of the hand-placed link."""
    return db.session.scalars(
        select(ResourceLink).where(ResourceLink.resource_link_id == LINK)
    ).one()


def assessed_course(app, client, platform, column: str):
    """A course with two targets, a student assessed on the first (2 of 4 = 70 points)."""
    platform.add_member("course-1", "teacher-1", "Instructor")
    platform.add_member("course-1", "student-1", "Learner")
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))
    for statement in ("I can balance equations", "I can name compounds"):
        client.post(f"/courses/{course_id}/teach/targets", data={"statement": statement})
    targets = list(db.session.scalars(select(LearningTarget).order_by(LearningTarget.id)))
    student = app.test_client()
    platform.launch(student, role="Learner", user_id="student-1")
    evidence_assessed(client, student, course_id, targets[0].id)
    push_now(app)
    return course_id, targets, student


def test_teacher_says_what_the_column_holds_and_current_grades_arrive(app, client, platform):
    column = platform.add_line_item("course-1", "Chemistry (added by hand)")
    course_id, targets, _student = assessed_course(app, client, platform, column)
    assert platform.scores_for(column) == []  # nothing says what the column holds yet

    launched = platform.launch(
        client, role="Instructor", user_id="teacher-1", **hand_placed(platform, column)
    )

    link = placed_link()
    setup_url = f"/courses/{course_id}/teach/links/{link.id}/grades"
    assert launched.status_code == 303
    assert launched.headers["Location"].split("?")[0] == setup_url
    page = client.get(setup_url).get_data(as_text=True)
    assert "What this column holds" in page or "This column holds" in page
    assert "I can balance equations" in page

    saved = client.post(setup_url, data={"choice": "target", "target_id": str(targets[0].id)})

    assert saved.status_code == 303
    item = db.session.scalars(select(LineItem).where(LineItem.url == column)).one()
    assert (item.passback_mode, item.target_id) == ("target", targets[0].id)
    push_now(app)
    assert platform.gradebook(column) == {"student-1": 70.0}  # the grade given before setup

    # The choice survives later launches (they overwrite the link's custom parameters).
    again = platform.launch(
        client, role="Instructor", user_id="teacher-1", **hand_placed(platform, column)
    )
    assert f"/links/{link.id}/grades" not in again.headers.get("Location", "")
    db.session.expire_all()
    assert db.session.get(ResourceLink, link.id).grade_setup == {
        "lti_pl_target": str(targets[0].id)
    }


def test_overall_mastery_column_gets_the_course_grade(app, client, platform):
    column = platform.add_line_item("course-1", "Mastery (added by hand)")
    course_id, _targets, _student = assessed_course(app, client, platform, column)
    platform.launch(client, role="Instructor", user_id="teacher-1", **hand_placed(platform, column))
    link = placed_link()

    client.post(f"/courses/{course_id}/teach/links/{link.id}/grades", data={"choice": "aggregate"})

    item = db.session.scalars(select(LineItem).where(LineItem.url == column)).one()
    assert item.passback_mode == "aggregate"
    push_now(app)
    assert list(platform.gradebook(column)) == ["student-1"]
    assert platform.gradebook(column)["student-1"] is not None


def test_several_targets_needs_two_and_says_so(app, client, platform):
    column = platform.add_line_item("course-1", "Two targets")
    course_id, targets, _student = assessed_course(app, client, platform, column)
    platform.launch(client, role="Instructor", user_id="teacher-1", **hand_placed(platform, column))
    link = placed_link()
    url = f"/courses/{course_id}/teach/links/{link.id}/grades"

    refused = client.post(url, data={"choice": "several", "target_ids": [str(targets[0].id)]})
    assert refused.status_code == 422
    assert "at least two" in refused.get_data(as_text=True)
    assert db.session.scalars(select(LineItem).where(LineItem.url == column)).first() is None

    both = [str(t.id) for t in targets]
    assert client.post(url, data={"choice": "several", "target_ids": both}).status_code == 303
    item = db.session.scalars(select(LineItem).where(LineItem.url == column)).one()
    assert (item.passback_mode, sorted(item.target_ids)) == (
        "aggregate",
        sorted(t.id for t in targets),
    )


def test_student_of_an_unset_link_sees_a_plain_page_not_an_error(app, client, platform):
    column = platform.add_line_item("course-1", "Not set up")
    course_id, _targets, student = assessed_course(app, client, platform, column)

    launched = platform.launch(
        student, role="Learner", user_id="student-1", follow=True, **hand_placed(platform, column)
    )

    assert launched.status_code == 200
    text = launched.get_data(as_text=True)
    assert "Your teacher has not set this activity up yet" in text
    assert f"/courses/{course_id}/learn/" in launched.request.path
