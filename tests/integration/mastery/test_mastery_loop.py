"""The whole loop over HTTP: launch, targets, evidence, assessment, mastery, score at the LMS."""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.lti.ags import CANVAS_SUBMISSION
from lti_pl.models.evidence import MasteryRecord, ReassessmentRequest
from lti_pl.models.grades import GradeOutboxEntry, LineItem
from lti_pl.models.targets import LearningTarget
from tests.support.grades import ags_claim, push_now


def course_id_of(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].split("/courses/")[1].split("/")[0])


def test_evidence_to_assessment_to_score_at_the_lms_and_reassessment_raises_it(
    app, client, platform
):
    # Teacher launches and writes a target.
    course_id = course_id_of(platform.launch(client, role="Instructor", user_id="teacher-1"))
    created = client.post(
        f"/courses/{course_id}/teach/targets",
        data={"statement": "I can balance chemical equations", "unit": "Reactions"},
    )
    assert created.status_code == 303
    target = db.session.scalars(
        select(LearningTarget).where(LearningTarget.course_id == course_id)
    ).one()
    assert target.unit is not None
    assert target.unit.title == "Reactions"

    # The LMS has a gradebook column for that target (as Deep Linking would have made it); the
    # student launches the deep-linked resource link, whose AGS claim names the column.
    line_item_url = f"{platform.url}/ags/course-1/lineitems/target1"
    platform.put_line_item(line_item_url, "Balance equations", context_id="course-1")
    student = app.test_client()
    launched = platform.launch(
        student,
        role="Learner",
        user_id="student-1",
        name="Sam Student",
        resource_link_id="link-target-1",
        custom={"lti_pl_target": str(target.id)},
        **ags_claim(platform, line_item_url),
    )
    assert course_id_of(launched) == course_id
    item = db.session.scalars(select(LineItem).where(LineItem.url == line_item_url)).one()
    assert (item.passback_mode, item.target_id) == ("target", target.id)

    # The student submits evidence and says they are ready to be assessed.
    page = student.get(f"/courses/{course_id}/learn/targets")
    assert "I can balance chemical equations" in page.get_data(as_text=True)
    assert '<span class="badge">Not assessed yet</span>' in page.get_data(as_text=True)
    sent = student.post(
        f"/courses/{course_id}/learn/targets/{target.id}/evidence",
        data={
            "kind": "text",
            "text": "2 H2 + O2 -> 2 H2O, atoms counted on both sides",
            "ready": "1",
        },
    )
    assert sent.status_code == 303
    ready = db.session.scalars(select(ReassessmentRequest)).one()
    assert ready.status == "pending"
    assert not ready.is_reassessment
    push_now(app)
    waiting = platform.final_scores(line_item_url)["student-1"]
    assert (waiting["activityProgress"], waiting["gradingProgress"]) == ("Submitted", "Pending")
    # The hand-in is a submission (Canvas: a new attempt, shown with its time in SpeedGrader).
    assert waiting["submission"]["submittedAt"] == waiting["timestamp"]
    assert waiting[CANVAS_SUBMISSION] == {
        "submitted_at": waiting["timestamp"],
        "new_submission": True,
    }

    # The teacher sees the request in the queue and scores it Near Mastery.
    home = client.get(f"/courses/{course_id}/teach/")
    assert "1 waiting" in home.get_data(as_text=True)
    queue = client.get(f"/courses/{course_id}/teach/assess")
    assert "Sam Student" in queue.get_data(as_text=True)
    assessed = client.post(
        f"/courses/{course_id}/teach/assess/{ready.id}",
        data={"action": "assess", "score": "2", "comment": "Check the oxygen count."},
    )
    assert assessed.status_code == 303, assessed.get_data(as_text=True)
    record = db.session.scalars(select(MasteryRecord)).one()
    assert (record.score, record.label, record.grade) == (2.0, "Near Mastery", 70.0)
    # The student's home, targets and target pages show that level, its colour and score.
    shown = re.compile(
        r'<span class="level" style="--level-color: #[0-9a-fA-F]{3,6}">Near Mastery</span>'
        r' <span class="muted">\(2\)</span>'
    )
    for url in ("", "targets", f"targets/{target.id}"):
        html = student.get(f"/courses/{course_id}/learn/{url}").get_data(as_text=True)
        assert shown.search(html), (url, html[-3000:])

    push_now(app)
    score = platform.final_scores(line_item_url)["student-1"]
    assert score["scoreGiven"] == 70.0
    assert score["scoreMaximum"] == 100
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert score["comment"] == "Near Mastery (2) on 'I can balance chemical equations'"
    # The teacher's grade is not a new hand-in: Canvas keeps the student's attempt.
    assert score[CANVAS_SUBMISSION] == {"new_submission": False}
    assert "submission" not in score

    # The student sees what to relearn, asks again; the teacher's 4 raises mastery.
    mine = student.get(f"/courses/{course_id}/learn/targets/{target.id}").get_data(as_text=True)
    assert "Check the oxygen count." in mine
    assert "show a 4 (Exceeds Mastery) on your next assessment" in mine
    again = student.post(
        f"/courses/{course_id}/learn/targets/{target.id}/ready", data={"note": "Redid it"}
    )
    assert again.status_code == 303
    second = db.session.scalars(
        select(ReassessmentRequest).where(ReassessmentRequest.status == "pending")
    ).one()
    assert second.is_reassessment
    assert (
        client.post(
            f"/courses/{course_id}/teach/assess/{second.id}", data={"score": "4", "comment": "Yes!"}
        ).status_code
        == 303
    )
    push_now(app)
    record = db.session.scalars(select(MasteryRecord)).one()
    assert record.is_mastered
    assert record.label == "Mastery"
    final = platform.final_scores(line_item_url)["student-1"]
    assert final["scoreGiven"] == 85.0
    assert final["gradingProgress"] == "FullyGraded"
    assert final["comment"] == "Mastery (3.3) on 'I can balance chemical equations'"
    assert (
        db.session.scalars(
            select(GradeOutboxEntry).where(GradeOutboxEntry.status == "pending")
        ).all()
        == []
    )
