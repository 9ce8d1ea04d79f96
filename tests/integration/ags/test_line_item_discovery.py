"""A deep-linked link's gradebook column, found late: grades given before it still reach it.

Two ways a column becomes known after grades exist: the first launch of the link carries its
`lineitem` claim, or (no claim: the platform ignored the deep-linking line item, or an admin
added the link by hand) the tool finds or creates it through AGS after the launch. Either way the
students' current grades are queued for it, and the emulator's gradebook receives them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.jobs.line_item_discovery import discover_line_item
from lti_pl.lti.ags import ALL_SCOPES
from lti_pl.models.courses import ResourceLink
from lti_pl.models.grades import GradeOutboxEntry, LineItem
from lti_pl.services import line_items
from tests.support.builders import make_mastery_record, make_target
from tests.support.grades import GradedCourse, ags_claim, graded_course, push_now
from tests.support.platform_emulator import Fault

# The grade, deep-linking, roster and launch suites run against every platform profile.
pytestmark = pytest.mark.platform_profiles

LINK = "link-target"


@dataclass(frozen=True)
class Course:
    """Ids only: the background job after a launch closes the test's shared session."""

    graded: GradedCourse
    id: int
    target_id: int
    graded_student_id: int


@pytest.fixture
def course(client, platform) -> Course:
    """A launched course, three students, one target: student-0 graded 85 %, student-1 not."""
    graded = graded_course(client, platform, students=3)
    target = make_target(graded.course, "I can read a phase diagram")
    make_mastery_record(graded.students[0], target, 3.0, grade=85.0)
    make_mastery_record(graded.students[1], target, None)
    db.session.commit()
    return Course(graded, graded.course.id, target.id, graded.students[0].id)


def launch_link(app, platform, target_id: int, *, line_item_url: str | None = None):
    """student-2 launches the deep-linked link of `target` (with or without `lineitem`)."""
    response = platform.launch(
        app.test_client(),
        role="Learner",
        user_id="student-2",
        resource_link_id=LINK,
        custom={"lti_pl_target": str(target_id)},
        **ags_claim(platform, line_item_url or None, scope=ALL_SCOPES),
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    return response


def emulator_items(platform) -> list[dict]:
    return [item for item in platform.line_items.values() if item["_context"] == "course-1"]


def test_first_launch_with_a_lineitem_claim_sends_the_grades_given_before(app, platform, course):
    url = f"{platform.url}/ags/course-1/lineitems/phase"
    platform.put_line_item(url, "Phase", context_id="course-1", score_maximum=10)

    launch_link(app, platform, course.target_id, line_item_url=url)

    item = db.session.scalars(select(LineItem).where(LineItem.url == url)).one()
    assert (item.passback_mode, item.target_id) == (line_items.PER_TARGET, course.target_id)
    queued = db.session.scalars(select(GradeOutboxEntry)).all()
    assert [e.enrollment_id for e in queued] == [course.graded_student_id]  # only graded students
    assert push_now(app).sent == 1
    score = platform.final_scores(url)["student-0"]
    assert score["scoreGiven"] == pytest.approx(85.0)  # the converted grade on a 100 maximum
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert "student-1" not in platform.final_scores(url)


def test_launch_without_a_lineitem_claim_creates_the_column_and_sends_grades(app, platform, course):
    assert emulator_items(platform) == []

    launch_link(app, platform, course.target_id)

    created = emulator_items(platform)
    assert len(created) == 1
    column = created[0]
    assert column["tag"] == line_items.target_tag(course.target_id)
    assert column["resourceId"] == str(course.target_id)
    assert column["resourceLinkId"] == LINK
    item = db.session.scalars(select(LineItem)).one()
    assert (item.url, item.target_id, item.from_launch) == (column["id"], course.target_id, False)
    assert push_now(app).sent == 1
    assert platform.final_scores(column["id"])["student-0"]["scoreGiven"] == pytest.approx(85.0)

    # Launching again (after the throttle) finds the row it recorded: no second column.
    link = db.session.scalars(
        select(ResourceLink).where(ResourceLink.resource_link_id == LINK)
    ).one()
    assert discover_line_item(app, course.id, link.id) == "nothing to discover"
    launch_link(app, platform, course.target_id)
    assert len(emulator_items(platform)) == 1


def test_launch_without_a_claim_finds_the_column_the_platform_already_has(app, platform, course):
    url = f"{platform.url}/ags/course-1/lineitems/made-by-deep-linking"
    platform.put_line_item(
        url,
        "Phase diagrams",
        context_id="course-1",
        score_maximum=4,
        tag=line_items.target_tag(course.target_id),
        resourceId=str(course.target_id),
        resourceLinkId=LINK,
    )
    other = f"{platform.url}/ags/course-1/lineitems/unrelated"
    platform.put_line_item(other, "Quiz", context_id="course-1", score_maximum=10, tag="quiz")

    launch_link(app, platform, course.target_id)

    assert len(emulator_items(platform)) == 2  # nothing created
    item = db.session.scalars(select(LineItem)).one()
    assert (item.url, item.score_maximum) == (url, 4.0)
    push_now(app)
    assert platform.final_scores(url)["student-0"]["scoreGiven"] == pytest.approx(3.4)


def test_no_discovery_when_the_target_already_has_a_column(app, platform, course):
    course.graded.line_item("Phase", target_id=course.target_id)
    before = len(emulator_items(platform))

    launch_link(app, platform, course.target_id)

    assert len(emulator_items(platform)) == before
    assert len(db.session.scalars(select(LineItem)).all()) == 1


def test_an_lms_failure_during_discovery_keeps_the_launch_and_retries_later(app, platform, course):
    platform.faults["ags"] = Fault(rate=1.0, kinds=("500",))

    launch_link(app, platform, course.target_id)  # the page still opens

    assert db.session.scalars(select(LineItem)).all() == []
    platform.faults.clear()
    link = db.session.scalars(
        select(ResourceLink).where(ResourceLink.resource_link_id == LINK)
    ).one()
    assert discover_line_item(app, course.id, link.id).startswith("line item")
    assert len(emulator_items(platform)) == 1
    assert push_now(app).sent == 1


def test_an_aggregate_link_gets_the_mean_of_the_targets_it_covers(app, platform, course):
    graded = course.graded
    second = make_target(graded.course, "I can name the triple point")
    third = make_target(graded.course, "I can sketch a cooling curve")
    make_mastery_record(graded.students[0], second, 2.0, grade=70.0)
    make_mastery_record(graded.students[0], third, 1.0, grade=10.0)  # not covered by the link
    covered = f"{course.target_id},{second.id}"
    db.session.commit()

    response = platform.launch(
        app.test_client(),
        role="Learner",
        user_id="student-2",
        resource_link_id="link-unit",
        custom={"lti_pl_targets": covered},
        **ags_claim(platform, scope=ALL_SCOPES),
    )
    assert response.status_code == 303

    [column] = emulator_items(platform)
    assert (column["tag"], column["resourceLinkId"]) == (line_items.AGGREGATE, "link-unit")
    assert push_now(app).sent == 1
    score = platform.final_scores(column["id"])["student-0"]
    assert score["scoreGiven"] == pytest.approx(77.5)  # (85 + 70) / 2; the third is not covered
    assert score["comment"] == "Mastery over 2 assessed targets: 1 mastered."
