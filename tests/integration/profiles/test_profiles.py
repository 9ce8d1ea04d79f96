"""Profiles, self-assessments, goals with check-ins and comments, the binder, and observers."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from lti_pl.domain.targets import DEFAULT_SCALE
from lti_pl.models.base import utcnow
from lti_pl.models.profiles import Goal, GoalCheckIn, LearningProfile, SelfAssessmentEntry
from tests.support.choice_builders import assess, course, enrollment_of, launch, make_targets


def test_student_saves_profile_and_errors_show_next_to_the_field(app, client, platform, db_session):
    course_id = launch(platform, client, "Learner", "ana")
    (target,) = make_targets(course(course_id), 1)
    ana_id = enrollment_of(course_id, "ana").id
    bad = client.post(
        f"/courses/{course_id}/learn/profile",
        data={"interests": ", ".join(f"thing {n}" for n in range(12))},
    )
    assert bad.status_code == 422
    assert 'id="interests-error"' in bad.get_data(as_text=True)
    ok = client.post(
        f"/courses/{course_id}/learn/profile",
        data={
            "interests": "Drawing,  football , drawing",
            "modalities": ["watch", "create"],
            f"rating-{target.id}": "getting_there",
        },
    )
    assert ok.status_code == 303
    profile = db_session.scalars(
        select(LearningProfile).where(LearningProfile.enrollment_id == ana_id)
    ).one()
    assert (profile.interests, profile.modalities) == (["drawing", "football"], ["create", "watch"])
    rating = db_session.scalars(
        select(SelfAssessmentEntry.rating).where(SelfAssessmentEntry.enrollment_id == ana_id)
    ).one()
    assert rating == "getting_there"


def test_profile_and_goal_ignore_target_ids_no_row_can_have(app, client, platform, db_session):
    # "²".isdigit() is True but int("²") raises, and 2**31 failed PostgreSQL: each was a 500.
    course_id = launch(platform, client, "Learner", "ana")
    make_targets(course(course_id), 1)
    profile = client.post(
        f"/courses/{course_id}/learn/profile",
        data={"interests": "chess", "rating-²": "getting_there", f"rating-{2**31}": "not_yet"},
    )
    assert profile.status_code == 303
    assert db_session.scalars(select(SelfAssessmentEntry)).all() == []
    due = (utcnow().date() + timedelta(days=14)).isoformat()
    for target_id in ("²", str(2**31)):
        goal = client.post(
            f"/courses/{course_id}/learn/goals",
            data={"text": "Master fractions", "due": due, "target_id": target_id},
        )
        assert goal.status_code == 303
    assert [g.target_id for g in db_session.scalars(select(Goal))] == [None, None]


def test_goals_check_ins_and_teacher_comments(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    browser = app.test_client()
    launch(platform, browser, "Learner", "ana")
    (target,) = make_targets(course(course_id), 1)
    ana_id = enrollment_of(course_id, "ana").id
    due = (utcnow().date() + timedelta(days=14)).isoformat()
    late = browser.post(
        f"/courses/{course_id}/learn/goals",
        data={"text": "Master fractions", "due": "2000-01-01", "target_id": str(target.id)},
    )
    assert late.status_code == 422
    assert 'id="due-error"' in late.get_data(as_text=True)
    response = browser.post(
        f"/courses/{course_id}/learn/goals",
        data={"text": "Master fractions", "due": due, "target_id": str(target.id)},
    )
    assert response.status_code == 303
    goal = db_session.scalars(select(Goal).where(Goal.enrollment_id == ana_id)).one()
    goal_id = goal.id
    assert (goal.target_id, goal.status) == (target.id, "active")
    browser.post(
        f"/courses/{course_id}/learn/goals/{goal_id}/check-ins", data={"text": "Practised daily"}
    )
    assert db_session.scalars(select(GoalCheckIn.text)).all() == ["Practised daily"]
    response = client.post(
        f"/courses/{course_id}/teach/goals/{goal_id}/comments", data={"text": "Keep going!"}
    )
    assert response.status_code == 303
    page = browser.get(f"/courses/{course_id}/learn/goals").get_data(as_text=True)
    assert "Keep going!" in page
    assert "Practised daily" in page
    browser.post(f"/courses/{course_id}/learn/goals/{goal_id}/status", data={"status": "met"})
    assert db_session.scalar(select(Goal.status).where(Goal.id == goal_id)) == "met"
    # Another student cannot check in on it.
    intruder = app.test_client()
    launch(platform, intruder, "Learner", "ben")
    refused = intruder.post(
        f"/courses/{course_id}/learn/goals/{goal_id}/check-ins", data={"text": "mine now"}
    )
    assert refused.status_code == 404


def test_binder_shows_own_work_and_is_printable(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    browser = app.test_client()
    launch(platform, browser, "Learner", "ana")
    (target,) = make_targets(course(course_id), 1)
    assess(enrollment_of(course_id, "ana"), target, 1, 3)
    page = browser.get(f"/courses/{course_id}/learn/binder")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in text
    assert "<polyline" in text
    chart = text.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    axis_labels = re.findall(r'<text class="axis-label[^"]*"[^>]*>([^<]+)</text>', chart)
    assert [label for label in axis_labels if not label[0].isdigit()] == [
        level.label for level in DEFAULT_SCALE.levels
    ]
    assert len([label for label in axis_labels if label[0].isdigit()]) == 2  # first, last date
    # The chart plots the level after each assessment (decaying average: 1, then 2.3), not
    # the raw scores, and names the current level and the mastery line.
    assert "Level over time on I can skill 1: Below Mastery (1) on" in text
    assert "Now Near Mastery (2.3); mastery is 3." in text
    assert 'class="mastery-line"' in chart
    assert [float(v) for v in re.findall(r'data-value="([^"]+)"', chart)] == [1.0, 2.3]
    assert "<caption>Scores and feedback</caption>" in text
    assert "choice.css" in text
    css = app.test_client().get("/static/choice.css").get_data(as_text=True)
    assert "@media print" in css


def test_observer_reads_only_linked_students(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    for user_id in ("ana", "ben"):
        launch(platform, app.test_client(), "Learner", user_id)
    (target,) = make_targets(course(course_id), 1)
    assess(enrollment_of(course_id, "ana"), target, 3)
    ana_id, ben_id = enrollment_of(course_id, "ana").id, enrollment_of(course_id, "ben").id
    parent = app.test_client()
    launch(platform, parent, "Mentor", "parent-1", mentor_of=["ana"])
    listing = parent.get(f"/courses/{course_id}/learn/observe/").get_data(as_text=True)
    assert "Ana" in listing
    assert "Ben" not in listing
    own = parent.get(f"/courses/{course_id}/learn/observe/{ana_id}/binder")
    assert own.status_code == 200
    assert "Data binder: Ana" in own.get_data(as_text=True)
    assert "<form" not in own.get_data(as_text=True).split("<main", 1)[1]  # read-only
    assert parent.get(f"/courses/{course_id}/learn/observe/{ben_id}/binder").status_code == 403
    # Observers cannot use student or teacher pages.
    assert parent.get(f"/courses/{course_id}/learn/binder").status_code == 403
    assert parent.get(f"/courses/{course_id}/learn/profile").status_code == 403
    assert parent.get(f"/courses/{course_id}/teach/data-wall").status_code == 403
    # A student cannot use the observer page for a classmate.
    student = app.test_client()
    launch(platform, student, "Learner", "ben")
    assert student.get(f"/courses/{course_id}/learn/observe/{ana_id}/binder").status_code == 403
