"""Recompute: per pair and batched per course; grades queued per target and in aggregate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.grades import GradeOutboxEntry
from lti_pl.services import course_recompute, mastery
from tests.support.builders import (
    T0,
    make_assessment,
    make_course,
    make_line_item,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)


def outbox(line_item):
    return list(
        db.session.scalars(
            select(GradeOutboxEntry)
            .where(
                GradeOutboxEntry.line_item_id == line_item.id, GradeOutboxEntry.status == "pending"
            )
            .order_by(GradeOutboxEntry.id)
        )
    )


def test_recompute_uses_the_targets_method_over_the_courses(db_session):
    course = make_course(calculation_method="latest")
    student = make_student(course)
    plain = make_target(course)
    override = make_target(course, calculation_method="highest")
    for target in (plain, override):
        make_assessment(student, target, 4, T0)
        make_assessment(student, target, 1, T0 + timedelta(days=1))
    assert mastery.recompute(student.id, plain.id, now=T0).score == 1
    record = mastery.recompute(student.id, override.id, now=T0)
    assert (record.method, record.score, record.label, record.color) == (
        "highest",
        4,
        "Exceeds Mastery",
        "#127a1b",
    )


def test_recompute_refuses_a_target_of_another_course(db_session):
    from lti_pl.domain.errors import NotFoundError

    with pytest.raises(NotFoundError):
        mastery.recompute(make_student().id, make_target().id, now=T0)


def test_grade_change_queues_target_and_aggregate_scores_only_when_it_changes(db_session):
    course = make_course()
    student = make_student(course)
    t1, t2 = make_target(course, "I can one"), make_target(course, "I can two")
    per_target = make_line_item(course, passback_mode="target", target=t1, score_maximum=10)
    aggregate = make_line_item(course, passback_mode="aggregate")
    make_assessment(student, t1, 2, T0)
    mastery.recompute(student.id, t1.id, now=T0)
    make_assessment(student, t2, 4, T0)
    mastery.recompute(student.id, t2.id, now=T0)

    [target_score] = outbox(per_target)
    assert (target_score.score_given, target_score.score_maximum) == (7.0, 10)
    assert target_score.comment == "Near Mastery (2) on 'I can one'"
    [aggregate_score] = outbox(aggregate)
    assert aggregate_score.score_given == 85.0  # mean of 70 and 100
    assert aggregate_score.comment == "Mastery over 2 assessed targets: 1 mastered."

    mastery.recompute(student.id, t1.id, now=T0 + timedelta(hours=1))  # nothing new
    assert len(outbox(per_target)) == 1


def test_aggregate_covers_only_the_links_targets(db_session):
    course = make_course()
    student = make_student(course)
    t1, t2 = make_target(course), make_target(course)
    aggregate = make_line_item(course, passback_mode="aggregate", target_ids=[t2.id])
    make_assessment(student, t1, 0, T0)
    mastery.recompute(student.id, t1.id, now=T0)
    assert outbox(aggregate) == []  # t1 is not in this link
    make_assessment(student, t2, 3, T0)
    mastery.recompute(student.id, t2.id, now=T0)
    assert [e.score_given for e in outbox(aggregate)] == [85.0]


def test_recompute_course_matches_per_pair_recompute(db_session):
    course = make_course(calculation_method="decaying_average", method_params={"weight": 0.5})
    students = [make_student(course) for _ in range(3)]
    targets = [make_target(course), make_target(course, calculation_method="bkt")]
    for i, student in enumerate(students):
        for j, target in enumerate(targets):
            for k in range(3):
                make_assessment(student, target, (i + j + k) % 5, T0 + timedelta(days=k))
    written = course_recompute.recompute_course(course.id, T0)
    assert written == 6
    batched = {
        (r.enrollment_id, r.target_id): (r.score, r.label, r.grade, r.evidence_count)
        for r in db.session.scalars(select(MasteryRecord))
    }
    db.session.expire_all()
    single = {
        (s.id, t.id): (
            (r := mastery.recompute(s.id, t.id, now=T0)).score,
            r.label,
            r.grade,
            r.evidence_count,
        )
        for s in students
        for t in targets
    }
    assert batched == single


def test_settings_change_recomputes_with_proportional_grades(client, db_session):
    course = make_course()
    teacher = make_teacher(course)
    student = make_student(course)
    target = make_target(course)
    make_assessment(student, target, 3, T0)
    mastery.recompute(student.id, target.id, now=T0)
    db.session.commit()
    sign_in(client, teacher)
    page = client.get(f"/courses/{course.id}/teach/settings").get_data(as_text=True)
    assert 'value="Exceeds Mastery"' in page
    levels = {}
    for i, (points, label) in enumerate([(3, "Got it"), (2, "Almost"), (1, "Not yet")]):
        levels |= {
            f"level_{i}_points": str(points),
            f"level_{i}_label": label,
            f"level_{i}_color": "#112233",
        }
    answer = client.post(
        f"/courses/{course.id}/teach/settings",
        data={
            **levels,
            "level_count": "3",
            "mastery_points": "3",
            "calculation_method": "latest",
            "grade_mode": "proportional",
            "max_attempts": "2",
            "window_days": "14",
            "relearning": "either",
        },
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    db.session.expire_all()
    record = db.session.scalars(select(MasteryRecord)).one()
    assert (record.label, record.grade, record.is_mastered) == ("Got it", 100.0, True)
    assert course.reassessment_policy == {
        "max_attempts": 2,
        "window_days": 14,
        "relearning": "either",
    }


def test_invalid_settings_change_nothing_and_show_the_reason(client, db_session):
    course = make_course()
    sign_in(client, make_teacher(course))
    answer = client.post(
        f"/courses/{course.id}/teach/settings",
        data={
            "level_count": "1",
            "level_0_points": "4",
            "level_0_label": "Top",
            "level_0_color": "#112233",
            "mastery_points": "9",
            "calculation_method": "latest",
            "grade_mode": "proportional",
        },
    )
    assert answer.status_code == 422
    assert "The mastery threshold must lie on the scale." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert course.scale_levels is None


VALID_SETTINGS = {
    "level_count": "2",
    "level_0_points": "4",
    "level_0_label": "Top",
    "level_0_color": "#112233",
    "level_1_points": "0",
    "level_1_label": "Bottom",
    "level_1_color": "#445566",
    "mastery_points": "4",
    "calculation_method": "latest",
    "grade_mode": "proportional",
}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"level_count": "two"}, "A mastery scale needs at least one level."),
        ({"level_count": "9" * 12}, "A mastery scale needs at least one level."),
        ({"level_0_points": "inf"}, "Level 1&#39;s points must be a number."),
        ({"level_1_points": "nan"}, "Level 2&#39;s points must be a number."),
        ({"grade_mode": "table", "grade_4": "100", "grade_x": "5"}, "Each grade&#39;s level"),
        ({"window_days": str(10**7)}, "The window can be at most 3,650 days"),
    ],
    ids=["count-not-a-number", "count-huge", "inf-points", "nan-points", "grade-key", "window"],
)
def test_broken_settings_forms_are_refused_with_the_reason(client, db_session, changes, reason):
    # Each was a 500: int("two"); a loop over a trillion rows; scale points Infinity / NaN stored
    # as JSON PostgreSQL refuses; float("x") for a grade's level; and a window so long that every
    # student page overflowed the date when it worked out "the window closes on ...".
    course = make_course()
    sign_in(client, make_teacher(course))
    answer = client.post(f"/courses/{course.id}/teach/settings", data=VALID_SETTINGS | changes)
    assert answer.status_code == 422
    assert reason in answer.get_data(as_text=True)
    db.session.expire_all()
    assert course.scale_levels is None


def test_recompute_course_rewrites_only_changed_records(db_session):
    course = make_course(calculation_method="power_law")
    students = [make_student(course) for _ in range(2)]
    target = make_target(course)
    other = make_target(course, calculation_method="n_mastery", method_params={"n": 2})
    for student in students:
        for t in (target, other):
            make_assessment(student, t, 2, T0)
            make_assessment(student, t, 3, T0 + timedelta(days=1))
    first = course_recompute.recompute_course_report(course.id, T0)
    assert (first.records, first.written, first.grades_changed) == (4, 4, 4)

    later = T0 + timedelta(days=5)
    again = course_recompute.recompute_course_report(course.id, later)
    assert (again.records, again.written, again.grades_changed) == (4, 0, 0)
    assert {r.updated_at for r in db.session.scalars(select(MasteryRecord))} == {T0}

    make_assessment(students[0], other, 4, T0 + timedelta(days=2))
    changed = course_recompute.recompute_course_report(course.id, later)
    assert (changed.records, changed.written, changed.grades_changed) == (4, 1, 1)
    record = db.session.scalars(
        select(MasteryRecord).where(
            MasteryRecord.enrollment_id == students[0].id, MasteryRecord.target_id == other.id
        )
    ).one()
    assert (record.is_mastered, record.evidence_count, record.updated_at) == (True, 3, later)
    assert record.details == {"params": {"n": 2.0}}


def test_recompute_course_equals_calculate_for_every_method(db_session):
    methods = ["latest", "highest", "average", "mode", "decaying_average"]
    methods += ["weighted_average", "power_law", "n_mastery", "bkt"]
    course = make_course()
    students = [make_student(course) for _ in range(3)]
    targets = [make_target(course, calculation_method=m) for m in methods]
    for i, student in enumerate(students):
        for j, target in enumerate(targets):
            # Two assessments on the same day: the older id comes first, as in `recompute`.
            for k in range(i + 2):
                make_assessment(
                    student, target, (i * 3 + j + k * 2) % 5, T0 + timedelta(days=k // 2)
                )
    course_recompute.recompute_course(course.id, T0)
    batched = {
        (r.enrollment_id, r.target_id): (r.score, r.label, r.explanation, r.next_score_to_master)
        for r in db.session.scalars(select(MasteryRecord))
    }
    db.session.expire_all()
    single = {}
    for s in students:
        for t in targets:
            r = mastery.recompute(s.id, t.id, now=T0)
            single[(s.id, t.id)] = (r.score, r.label, r.explanation, r.next_score_to_master)
    assert batched == single
