"""The teaching loop over HTTP: relearning shown where decisions are made, descriptors,
one evidence on several targets, corrected work dates, the aggregate rule, the audit page.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import Assessment, MasteryRecord, ReassessmentRequest
from lti_pl.models.grades import GradeOutboxEntry
from lti_pl.models.teaching import LevelDescriptor
from lti_pl.services import course_recompute, mastery
from lti_pl.services import evidence as service
from tests.support.builders import (
    T0,
    make_assessment,
    make_course,
    make_evidence,
    make_line_item,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)
from tests.support.queries import count_queries

REFLECTION = "I redid the worked examples and found my sign error."


def below_mastery(app):
    course = make_course()
    teacher, student = make_teacher(course), make_student(course)
    target = make_target(course, "I can factor quadratics")
    service.assess(teacher, student.id, target.id, score=1, comment="Not yet", now=T0)
    db.session.commit()
    return course, teacher, student, target


def page(client, url):
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def test_relearning_shows_on_the_target_page_binder_assess_page_and_report(app, client, db_session):
    course, teacher, student, target = below_mastery(app)
    learner = sign_in(client, student)
    logged = learner.post(
        f"/courses/{course.id}/learn/targets/{target.id}/relearning",
        data={"reflection": REFLECTION},
    )
    assert logged.status_code == 303
    asked = learner.post(
        f"/courses/{course.id}/learn/targets/{target.id}/ready", data={"note": "Ready again"}
    )
    assert asked.status_code == 303

    assert REFLECTION in page(learner, f"/courses/{course.id}/learn/targets/{target.id}")
    assert REFLECTION in page(learner, f"/courses/{course.id}/learn/binder")
    staff = sign_in(app.test_client(), teacher)
    ready = db.session.scalars(select(ReassessmentRequest)).one()
    assess_page = page(staff, f"/courses/{course.id}/teach/assess/{ready.id}")
    assert REFLECTION in assess_page
    assert "since the last assessment" in assess_page
    assert REFLECTION in page(staff, f"/courses/{course.id}/teach/students/{student.id}/report")
    level = page(
        staff, f"/courses/{course.id}/teach/students/{student.id}/targets/{target.id}/level"
    )
    assert REFLECTION in level


def test_override_over_http_needs_a_reason_and_shows_in_the_binder(app, client, db_session):
    course, teacher, student, target = below_mastery(app)
    staff = sign_in(client, teacher)
    url = f"/courses/{course.id}/teach/students/{student.id}/targets/{target.id}/override"
    refused = staff.post(url, data={"points": "3", "reason": ""})
    assert refused.status_code == 422
    assert "Give the reason" in refused.get_data(as_text=True)
    assert staff.post(url, data={"points": "3", "reason": "Showed me in class."}).status_code == 303

    binder = page(sign_in(app.test_client(), student), f"/courses/{course.id}/learn/binder")
    assert "Your teacher set your level to Mastery (3): Showed me in class." in binder
    assert "Levels set by the teacher" in binder
    audit_page = page(staff, f"/courses/{course.id}/teach/audit")
    assert "Set level by hand" in audit_page
    assert "Showed me in class." in audit_page
    assert teacher.person.display_name in audit_page


def test_level_descriptors_show_to_the_student_and_beside_the_evidence(app, client, db_session):
    course, teacher, student, target = below_mastery(app)
    staff = sign_in(client, teacher)
    saved = staff.post(
        f"/courses/{course.id}/teach/targets/{target.id}/levels",
        data={"level_3": "Factors any quadratic and checks by expanding.", "level_1": ""},
    )
    assert saved.status_code == 303
    text = "Factors any quadratic and checks by expanding."
    student_page = page(
        sign_in(app.test_client(), student), f"/courses/{course.id}/learn/targets/{target.id}"
    )
    assert text in student_page
    assert student_page.index(text) < student_page.index("Ask for a reassessment")
    make_evidence(student, target, "my work")
    ready = service.request_reassessment(student, target.id, "", now=T0 + timedelta(days=1))
    db.session.commit()
    assert text in page(staff, f"/courses/{course.id}/teach/assess/{ready.id}")
    bad = staff.post(
        f"/courses/{course.id}/teach/targets/{target.id}/levels", data={"level_9": "x"}
    )
    assert bad.status_code == 422


def test_one_evidence_is_assessed_on_several_targets_in_one_post(app, client, db_session):
    course, teacher, student, first = below_mastery(app)
    second = make_target(course, "I can graph parabolas")
    project = make_evidence(student, first, "Bridge project", submitted_at=T0 - timedelta(days=2))
    staff = sign_in(client, teacher)
    form = page(staff, f"/courses/{course.id}/teach/evidence/{project.id}/targets")
    assert "I can graph parabolas" in form
    assert "Bridge project" in form
    saved = staff.post(
        f"/courses/{course.id}/teach/evidence/{project.id}/targets",
        data={f"score_{first.id}": "3", f"score_{second.id}": "4", "comment": "Great bridge"},
    )
    assert saved.status_code == 303
    rows = db.session.scalars(select(Assessment).where(Assessment.evidence_id == project.id)).all()
    assert sorted((a.target_id, a.score) for a in rows) == [(first.id, 3), (second.id, 4)]
    assert {a.work_done_at for a in rows} == {T0 - timedelta(days=2)}
    nothing = staff.post(f"/courses/{course.id}/teach/evidence/{project.id}/targets", data={})
    assert nothing.status_code == 422


def test_the_several_targets_page_costs_the_same_statements_for_3_or_30_targets(
    app, client, db_session
):
    """Each target's level descriptions were a query of their own (40 targets: 46 statements)."""
    course, teacher, student, first = below_mastery(app)
    project = make_evidence(student, first, "Bridge project")
    staff = sign_in(client, teacher)
    url = f"/courses/{course.id}/teach/evidence/{project.id}/targets"

    made = [first]

    def statements_with(targets: int) -> int:
        while len(made) < targets:
            target = make_target(course, f"I can do part {len(made)}")
            db.session.add(LevelDescriptor(target_id=target.id, points=3, text="Shows every step"))
            db.session.commit()
            made.append(target)
        with count_queries() as statements:
            form = page(staff, url)
        assert form.count("Shows every step") == targets - 1
        return len(statements)

    page(staff, url)  # the session's first page reads a little more, once
    few = statements_with(3)
    assert statements_with(30) == few


def test_latest_is_the_latest_work_not_the_latest_grading(app, client, db_session):
    course = make_course(calculation_method="latest")
    teacher, student = make_teacher(course), make_student(course)
    target = make_target(course)
    late_project = make_evidence(student, target, "project", submitted_at=T0)
    quiz = make_evidence(student, target, "quiz", submitted_at=T0 + timedelta(days=3))
    service.assess(
        teacher,
        student.id,
        target.id,
        score=4,
        comment="",
        evidence_id=quiz.id,
        now=T0 + timedelta(days=4),
    )
    service.assess(
        teacher,
        student.id,
        target.id,
        score=1,
        comment="",
        evidence_id=late_project.id,
        now=T0 + timedelta(days=9),
    )
    db.session.commit()
    record = mastery.records_for(student.id)[target.id]
    assert record.score == 4  # the quiz's work is newer than the project's

    paper = db.session.scalars(select(Assessment).where(Assessment.score == 1)).one()
    staff = sign_in(client, teacher)
    corrected = staff.post(
        f"/courses/{course.id}/teach/assessments/{paper.id}/work-date",
        data={"work_done_at": (T0 + timedelta(days=5)).strftime("%Y-%m-%d")},
    )
    assert corrected.status_code == 303
    db.session.expire_all()
    assert mastery.records_for(student.id)[target.id].score == 1
    future = staff.post(
        f"/courses/{course.id}/teach/assessments/{paper.id}/work-date",
        data={"work_done_at": "2999-01-01", "student_id": student.id, "target_id": target.id},
    )
    assert future.status_code == 422


def test_course_recompute_orders_by_work_date_too(app, db_session):
    course = make_course(calculation_method="latest")
    student = make_student(course)
    target = make_target(course)
    make_assessment(student, target, 4, T0 + timedelta(days=1), work_done_at=T0 + timedelta(days=1))
    make_assessment(student, target, 1, T0 + timedelta(days=5), work_done_at=T0)
    course_recompute.recompute_course(course.id, T0 + timedelta(days=6))
    record = db.session.scalars(select(MasteryRecord)).one()
    assert record.score == 4


def test_aggregate_rule_all_targets_counts_the_unassessed_one_and_says_so(app, client, db_session):
    course = make_course()
    teacher, student = make_teacher(course), make_student(course)
    assessed = make_target(course)
    make_target(course)
    item = make_line_item(course, passback_mode="aggregate")
    service.assess(teacher, student.id, assessed.id, score=3, comment="", now=T0)
    db.session.commit()

    def latest_entry():
        return db.session.scalars(
            select(GradeOutboxEntry)
            .where(GradeOutboxEntry.line_item_id == item.id)
            .order_by(GradeOutboxEntry.id.desc())
        ).first()

    assert latest_entry().score_given == 85.0
    assert latest_entry().comment.endswith("1 not assessed yet is not counted.")
    staff = sign_in(client, teacher)
    chosen = staff.post(
        f"/courses/{course.id}/teach/grades/aggregate-mode", data={"aggregate_mode": "all"}
    )
    assert chosen.status_code == 303
    db.session.expire_all()
    entry = latest_entry()
    assert entry.score_given == 42.5
    assert entry.comment == (
        "Mastery over all 2 targets: 1 mastered. 1 not assessed yet counts as Well Below Mastery."
    )
    assert (
        staff.post(
            f"/courses/{course.id}/teach/grades/aggregate-mode", data={"aggregate_mode": "bogus"}
        ).status_code
        == 422
    )
    assert "Changed how the overall grade counts targets" in page(
        staff, f"/courses/{course.id}/teach/audit"
    )


def test_audit_page_is_for_teachers_only(app, client, db_session):
    course, _, student, _ = below_mastery(app)
    assert sign_in(client, student).get(f"/courses/{course.id}/teach/audit").status_code == 403
