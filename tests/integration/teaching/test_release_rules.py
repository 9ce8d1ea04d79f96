"""Mastery-based release: a new level assigns activities; the teacher sees and undoes them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.choice_boards import ActivityAssignment
from lti_pl.models.teaching import AutoAssignment
from lti_pl.services import course_recompute, release_rules
from lti_pl.services import evidence as service
from tests.support.builders import T0, make_course, make_student, make_target, make_teacher, sign_in
from tests.support.choice_builders import make_board


def assigned(student):
    return set(
        db.session.scalars(
            select(ActivityAssignment.activity_id).where(
                ActivityAssignment.enrollment_id == student.id
            )
        )
    )


def test_levels_entering_a_range_assign_its_activity_once_and_undo_removes_it(
    app, client, db_session
):
    course = make_course()
    teacher, student = make_teacher(course), make_student(course)
    target = make_target(course)
    board = make_board(
        course, target, [{"title": "Re-teach video"}, {"title": "Practice set"}, {"title": "Ext"}]
    )
    reteach, practice, extension = board.activities
    staff = sign_in(client, teacher)
    for activity, low, high in ((reteach, 0, 1), (practice, 2, 2), (extension, 3, 4)):
        added = staff.post(
            f"/courses/{course.id}/teach/release-rules",
            data={
                "target_id": target.id,
                "activity_id": activity.id,
                "min_points": low,
                "max_points": high,
            },
        )
        assert added.status_code == 303
    bad = staff.post(
        f"/courses/{course.id}/teach/release-rules",
        data={"target_id": target.id, "activity_id": reteach.id, "min_points": 3, "max_points": 1},
    )
    assert bad.status_code == 422

    service.assess(teacher, student.id, target.id, score=1, comment="", now=T0)
    assert assigned(student) == {reteach.id}
    service.assess(teacher, student.id, target.id, score=0, comment="", now=T0 + timedelta(1))
    assert assigned(student) == {reteach.id}  # still below: not assigned again
    for day, score in ((2, 4), (3, 4), (4, 4)):
        service.assess(
            teacher, student.id, target.id, score=score, comment="", now=T0 + timedelta(day)
        )
    assert extension.id in assigned(student)
    db.session.commit()

    page = staff.get(f"/courses/{course.id}/teach/release-rules").get_data(as_text=True)
    assert "Re-teach video" in page
    assert student.person.display_name in page
    auto = db.session.scalars(
        select(AutoAssignment).where(AutoAssignment.activity_id == reteach.id)
    ).one()
    undone = staff.post(f"/courses/{course.id}/teach/release-rules/assignments/{auto.id}/undo")
    assert undone.status_code == 303
    assert reteach.id not in assigned(student)
    again = staff.post(f"/courses/{course.id}/teach/release-rules/assignments/{auto.id}/undo")
    assert again.status_code == 422


def test_a_teachers_own_assignment_is_not_duplicated_or_undone(app, db_session):
    course = make_course()
    teacher, student = make_teacher(course), make_student(course)
    target = make_target(course)
    board = make_board(course, target, [{"title": "Re-teach"}])
    [activity] = board.activities
    db.session.add(
        ActivityAssignment(
            enrollment_id=student.id, activity_id=activity.id, assigned_by_id=teacher.id
        )
    )
    release_rules.add_rule(
        teacher,
        target_id=target.id,
        activity_id=activity.id,
        min_points="0",
        max_points="1",
        now=T0,
    )
    service.assess(teacher, student.id, target.id, score=1, comment="", now=T0)
    assert db.session.scalars(select(AutoAssignment)).all() == []
    assert assigned(student) == {activity.id}


def test_a_course_wide_recompute_fires_the_rules_of_the_levels_it_changes(app, db_session):
    # The teacher switches the calculation method: every level is recomputed in one pass, and a
    # level that lands in a rule's range assigns its activity, as a single recompute does.

    course = make_course(calculation_method="latest")
    teacher, student, steady = make_teacher(course), make_student(course), make_student(course)
    target = make_target(course)
    [extension] = make_board(course, target, [{"title": "Extension"}]).activities
    release_rules.add_rule(
        teacher,
        target_id=target.id,
        activity_id=extension.id,
        min_points="3",
        max_points="4",
        now=T0,
    )
    service.assess(teacher, student.id, target.id, score=4, comment="", now=T0)
    service.assess(teacher, student.id, target.id, score=1, comment="", now=T0 + timedelta(1))
    service.assess(teacher, steady.id, target.id, score=1, comment="", now=T0)
    db.session.query(AutoAssignment).delete()  # the 4 fired once; start from "latest is 1"
    db.session.query(ActivityAssignment).delete()
    assert assigned(student) == set()

    course.calculation_method = "highest"
    course_recompute.recompute_course(course.id, T0 + timedelta(2))

    assert assigned(student) == {extension.id}
    assert assigned(steady) == set()  # highest of [1] is still 1
    [auto] = db.session.scalars(select(AutoAssignment)).all()
    assert (auto.enrollment_id, auto.level_points) == (student.id, 4)
