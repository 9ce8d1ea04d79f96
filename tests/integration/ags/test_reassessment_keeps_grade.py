"""A reassessment request never empties the grade in the LMS gradebook (Moodle keeps a score
only when it is FullyGraded, and empties the grade otherwise)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.targets import LearningTarget
from tests.support.grades import ags_claim, course_id_from, evidence_assessed, push_now

pytestmark = pytest.mark.platform_profiles


def test_reassessment_request_keeps_the_grade_in_the_gradebook(app, client, platform):
    platform.add_member("course-1", "teacher-1", "Instructor")
    platform.add_member("course-1", "student-1", "Learner")
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))
    client.post(f"/courses/{course_id}/teach/targets", data={"statement": "I can balance"})
    target = db.session.scalars(select(LearningTarget)).one()
    column = platform.add_line_item("course-1", "Balance equations")
    student = app.test_client()
    platform.launch(
        student,
        role="Learner",
        user_id="student-1",
        resource_link_id="link-t",
        custom={"lti_pl_target": str(target.id)},
        **ags_claim(platform, column),
    )
    evidence_assessed(client, student, course_id, target.id)
    push_now(app)
    assert platform.gradebook(column) == {"student-1": 70.0}

    # The student asks for a reassessment (with new evidence): the grade stays in the LMS.
    student.post(
        f"/courses/{course_id}/learn/targets/{target.id}/evidence",
        data={"kind": "text", "text": "Recounted: 4 H, 2 O on each side"},
    )
    asked = student.post(
        f"/courses/{course_id}/learn/targets/{target.id}/ready", data={"note": "Redid it"}
    )
    assert asked.status_code == 303
    push_now(app)
    sent = platform.scores_for(column)
    assert len(sent) >= 2
    assert platform.gradebook(column) == {"student-1": 70.0}
    last = sent[-1]
    assert last["scoreGiven"] == 70.0
    assert last["gradingProgress"] == "FullyGraded"
    assert [r["status"] for r in platform.score_requests] == [200] * len(platform.score_requests)
