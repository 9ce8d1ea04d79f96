"""NRPS roster sync: paging (mixed-case next URL), statuses, roles, differences, throttle, CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment, Person
from tests.support.grades import course_id_from

# The grade, deep-linking, roster and launch suites run against every platform profile.
pytestmark = pytest.mark.platform_profiles


def roster_of(course_id):
    rows = db.session.scalars(select(Enrollment).where(Enrollment.course_id == course_id)).all()
    return {e.person.subject: e for e in rows}


def seed(platform, n=5):
    platform.add_member(
        "course-1", "teacher-1", "Instructor", name="Pat Teacher", email="pat@example.edu"
    )
    for i in range(n):
        platform.add_member(
            "course-1",
            f"s{i}",
            "Learner",
            name=f"Student {i}",
            given_name="Stu",
            email=f"s{i}@example.edu",
        )
    platform.add_member("course-1", "gone", "Learner", name="Gone Student", status="Inactive")
    platform.add_member("course-1", "parent", "Mentor", name="A Parent")


@pytest.mark.parametrize(
    "quoted", [pytest.param(True, id="rel-quoted"), pytest.param(False, id="rel-bare")]
)
def test_teacher_launch_syncs_every_page_in_the_background(client, platform, quoted):
    platform.nrps_quote_next = quoted
    seed(platform)
    response = platform.launch(client, role="Instructor", user_id="teacher-1")
    course_id = course_id_from(response)

    roster = roster_of(course_id)
    assert set(roster) == {
        "teacher-1",
        "s0",
        "s1",
        "s2",
        "s3",
        "s4",
        "gone",
        "parent",
    }  # 4 pages of 2
    assert roster["s3"].role == "student"
    assert roster["s3"].person.email == "s3@example.edu"
    assert roster["s3"].person.name == "Student 3"
    assert roster["gone"].status == "Inactive"
    assert roster["parent"].role == "observer"
    course = db.session.get(Course, course_id)
    assert course.roster_sync_status.startswith("OK: 8 members")
    assert course.roster_differences_url == f"{platform.url}/nrps/course-1?since=1"
    nrps_tokens = [
        t for t in platform.token_requests if "contextmembership" in " ".join(t.get("scopes", []))
    ]
    assert len(nrps_tokens) == 1


def test_sync_is_throttled_per_course_and_sync_now_uses_the_page(client, platform):
    seed(platform, n=1)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))
    platform.add_member("course-1", "late", "Learner", name="Late Joiner")
    platform.launch(client, role="Instructor", user_id="teacher-1")  # within the interval: no sync
    assert "late" not in roster_of(course_id)

    page = client.get(f"/courses/{course_id}/teach/roster")
    assert page.status_code == 200
    assert "Sync now" in page.get_data(as_text=True)
    answer = client.post(f"/courses/{course_id}/teach/roster/sync")
    assert answer.status_code == 303
    db.session.expire_all()
    assert "late" in roster_of(course_id)
    text = client.get(f"/courses/{course_id}/teach/roster").get_data(as_text=True)
    assert "Late Joiner" in text
    assert "OK:" in text


def test_differences_link_is_used_and_deleted_members_are_marked(client, platform, runner):
    seed(platform, n=2)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))
    platform.add_member("course-1", "s1", "Learner", name="Student 1", status="Deleted")
    before = len([r for r in platform.token_requests])

    result = runner.invoke(args=["roster", "sync", str(course_id)])

    assert result.exit_code == 0, result.output
    assert "OK:" in result.output
    db.session.expire_all()
    assert roster_of(course_id)["s1"].status == "Deleted"
    assert len(platform.token_requests) == before  # the cached token was reused


def test_failed_sync_is_shown_and_keeps_the_roster(client, platform, runner):
    from tests.support.platform_emulator import Fault

    seed(platform, n=1)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))
    platform.faults["nrps"] = Fault(rate=1.0, kinds=("500",))

    result = runner.invoke(args=["roster", "sync", str(course_id), "--full"])

    assert result.exit_code == 1
    db.session.expire_all()
    course = db.session.get(Course, course_id)
    assert course.roster_sync_status.startswith("Failed")
    assert "s0" in roster_of(course_id)
    assert db.session.scalar(select(db.func.count(Person.id))) >= 2


@pytest.mark.platform_profiles("moodle")
def test_first_launch_without_nrps_claim_leaves_the_sync_to_the_next_launch(
    client, platform, caplog
):
    # Moodle leaves the NRPS claim out until the tool is used in the course: that launch cannot
    # sync, must say so, and must not take the hourly slot from the next launch, which can.
    platform.new_course("course-1", "Biology 101", tool_used=False)
    seed(platform, n=2)
    with caplog.at_level("WARNING", logger="lti_pl.web.lti"):
        first = platform.launch(client, role="Instructor", user_id="teacher-1")
    course_id = course_id_from(first)
    assert set(roster_of(course_id)) == {"teacher-1"}
    assert any("carried no NRPS claim" in r.getMessage() for r in caplog.records)
    assert not any(
        r.levelname == "INFO" and "roster synced" in r.getMessage() for r in caplog.records
    )

    platform.use_tool("course-1")  # a teacher added an activity: launches now carry NRPS
    platform.launch(client, role="Instructor", user_id="teacher-1", resource_link_id="link-2")
    assert set(roster_of(course_id)) == {"teacher-1", "s0", "s1", "gone", "parent"}
