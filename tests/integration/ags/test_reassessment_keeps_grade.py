"""A reassessment request never empties the grade in the LMS gradebook (Moodle keeps a score
only when it is FullyGraded, and empties the grade otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import ReassessmentRequest
from lti_pl.models.targets import LearningTarget
from lti_pl.services import grades
from tests.support.grades import course_id_from, sender_for

pytestmark = pytest.mark.platform_profiles

AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


def push(app) -> None:
    grades.push_pending(sender_for(app), now=datetime.now(UTC))
    db.session.expire_all()


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
        **{
            AGS: {
                "scope": SCOPES,
                "lineitems": f"{platform.url}/ags/course-1/lineitems",
                "lineitem": column,
            }
        },
    )
    student.post(
        f"/courses/{course_id}/learn/targets/{target.id}/evidence",
        data={"kind": "text", "text": "2 H2 + O2 -> 2 H2O", "ready": "1"},
    )
    first = db.session.scalars(select(ReassessmentRequest)).one()
    client.post(
        f"/courses/{course_id}/teach/assess/{first.id}",
        data={"action": "assess", "score": "2", "comment": "Count the oxygen."},
    )
    push(app)
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
    push(app)
    sent = platform.scores_for(column)
    assert len(sent) >= 2
    assert platform.gradebook(column) == {"student-1": 70.0}
    last = sent[-1]
    assert last["scoreGiven"] == 70.0
    assert last["gradingProgress"] == "FullyGraded"
    assert [r["status"] for r in platform.score_requests] == [200] * len(platform.score_requests)
