"""`lti-pl courses purge --older-than DAYS [--dry-run] [--export DIR]`."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import Evidence
from tests.support.builders import make_course, make_evidence, make_student, make_target


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_only_courses_not_launched_for_the_period_are_exported_and_purged(
    runner, db_session, tmp_path
):
    old = make_course(created_at=utcnow() - timedelta(days=900))
    old_student = make_student(old, last_launch_at=utcnow() - timedelta(days=800))
    make_evidence(old_student, make_target(old), "old work")
    recent = make_course(old.platform, created_at=utcnow() - timedelta(days=900))
    recent_student = make_student(recent, last_launch_at=utcnow() - timedelta(days=3))
    make_evidence(recent_student, make_target(recent), "recent work")
    old_id, recent_id, person_id = old.id, recent.id, old_student.person_id

    dry = runner.invoke(args=["courses", "purge", "--older-than", "365", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would purge course {old_id}" in dry.output
    assert f"course {recent_id}" not in dry.output
    assert count(Course, Course.id == old_id) == 1

    out = tmp_path / "archive"
    done = runner.invoke(args=["courses", "purge", "--older-than", "365", "--export", str(out)])
    assert done.exit_code == 0, done.output
    rows = json.loads((out / f"course-{old_id}" / "rows.json").read_text())
    assert [e["text"] for e in rows["evidence"]] == ["old work"]
    db.session.expire_all()
    assert count(Course, Course.id == old_id) == 0
    assert count(Enrollment, Enrollment.course_id == old_id) == 0
    assert count(Evidence, Evidence.course_id == old_id) == 0
    assert count(Course, Course.id == recent_id) == 1
    assert count(Evidence, Evidence.course_id == recent_id) == 1
    assert count(Person, Person.id == person_id) == 1  # people may be in other courses
