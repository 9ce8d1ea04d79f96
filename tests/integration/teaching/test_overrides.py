"""Teacher overrides: a reason, the gradebook, the audit trail, released by new evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lti_pl.domain import grade_delivery
from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.extensions import db
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.teaching import GradeAuditEntry, MasteryOverride
from lti_pl.services import audit, course_recompute, grades, override_actions
from lti_pl.services import evidence as evidence_service
from lti_pl.services.targets import target_in_course
from tests.support.builders import make_target
from tests.support.grades import graded_course, sender_for

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = grade_delivery.RetryPolicy(base=1.0, cap=8.0, max_attempts=5, lease=60.0)


def relearned(client, platform):
    """A student assessed 1, relearned, assessed 3: Near Mastery on the decaying average."""
    course = graded_course(client, platform, students=1)
    target = make_target(course.course, "I can solve equations")
    item = course.line_item("Equations", target_id=target.id)
    student = course.students[0]
    for day, score in ((0, 1), (2, 3)):
        evidence_service.assess(
            course.teacher, student.id, target.id, score=score, comment="", now=NOW + timedelta(day)
        )
    db.session.commit()
    return course, target, item, student


def record_of(student, target):
    return db.session.scalars(
        select(MasteryRecord).where(
            MasteryRecord.enrollment_id == student.id, MasteryRecord.target_id == target.id
        )
    ).one()


def test_override_reaches_the_lms_gradebook_with_the_reason_in_the_explanation(
    app, client, platform
):
    course, target, item, student = relearned(client, platform)
    assert record_of(student, target).label == "Near Mastery"
    when = NOW + timedelta(days=3)

    override_actions.set_override(
        course.teacher,
        student.id,
        target.id,
        points="3",
        reason="Relearned in conference.",
        now=when,
    )
    db.session.commit()
    report = grades.push_pending(sender_for(app), now=when, policy=POLICY)

    record = record_of(student, target)
    assert (record.label, record.is_mastered, record.grade) == ("Mastery", True, 85.0)
    assert "Relearned in conference." in record.explanation
    assert "Near Mastery (2.3)" in record.explanation
    assert report.sent >= 1
    arrived = platform.final_scores(item.url)["student-0"]
    assert arrived["scoreGiven"] == 85.0
    assert arrived["comment"] == "Mastery (3, set by the teacher) on 'I can solve equations'"
    assert arrived["gradingProgress"] == "FullyGraded"


def test_override_and_release_are_in_the_audit_trail_with_actor_and_reason(app, client, platform):
    course, target, _, student = relearned(client, platform)
    when = NOW + timedelta(days=3)
    override_actions.set_override(
        course.teacher, student.id, target.id, points=3, reason="Oral check.", now=when
    )
    override_actions.release_override(
        course.teacher, student.id, target.id, now=when + timedelta(hours=1)
    )
    db.session.commit()

    rows = audit.course_trail(course.teacher)
    assert [r.entry.action for r in rows] == [
        "override_released",
        "override",
        "assessment",
        "assessment",
    ]
    set_row = rows[1]
    assert (set_row.entry.actor_id, set_row.entry.student_id, set_row.entry.target_id) == (
        course.teacher.id,
        student.id,
        target.id,
    )
    assert (set_row.entry.reason, set_row.entry.at) == ("Oral check.", when)
    assert set_row.actor == course.teacher.person.display_name
    assert record_of(student, target).label == "Near Mastery"  # the calculation holds again


def test_a_new_assessment_releases_the_override(app, client, platform):
    course, target, item, student = relearned(client, platform)
    when = NOW + timedelta(days=3)
    override_actions.set_override(
        course.teacher, student.id, target.id, points=4, reason="Project.", now=when
    )
    evidence_service.assess(
        course.teacher, student.id, target.id, score=2, comment="", now=when + timedelta(days=1)
    )
    db.session.commit()

    row = db.session.scalars(select(MasteryOverride)).one()
    assert (row.release_cause, row.released_by_id) == ("new_evidence", course.teacher.id)
    record = record_of(student, target)
    assert record.label != "Exceeds Mastery"
    assert "set your level" not in record.explanation
    grades.push_pending(sender_for(app), now=when + timedelta(days=1), policy=POLICY)
    assert platform.final_scores(item.url)["student-0"]["comment"].startswith("Near Mastery")


def test_override_needs_a_reason_and_a_teacher(app, client, platform):
    course, target, _, student = relearned(client, platform)
    with pytest.raises(InvalidInputError) as raised:
        override_actions.set_override(
            course.teacher, student.id, target.id, points=3, reason=" ", now=NOW
        )
    assert raised.value.field == "reason"
    with pytest.raises(NotFoundError):
        override_actions.release_override(course.teacher, student.id, target.id, now=NOW)
    assert db.session.scalars(select(GradeAuditEntry.action)).all() == ["assessment"] * 2
    assert target_in_course(course.teacher.course_id, target.id).id == target.id


def test_course_recompute_keeps_the_override(app, client, platform):

    course, target, _, student = relearned(client, platform)
    override_actions.set_override(
        course.teacher, student.id, target.id, points=3, reason="Conference.", now=NOW
    )
    course_recompute.recompute_course(course.course.id, NOW + timedelta(days=5))
    record = record_of(student, target)
    assert (record.label, record.details.get("override")) == ("Mastery", 3)
