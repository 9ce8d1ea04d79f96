"""One standard across courses: the student's binder history, prior levels for teachers."""

import re
from datetime import timedelta

from lti_pl.extensions import db
from lti_pl.services import standards, standards_import, standards_progress
from tests.support.builders import (
    T0,
    make_assessment,
    make_course,
    make_mastery_record,
    make_platform,
    make_relearning_log,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)
from tests.support.case_provider import item_id, math_package

ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


def _two_courses():
    lms = make_platform()
    standards_import.import_data(lms.issuer, math_package(), source="t", now=T0)
    fall, spring = make_course(lms, title="Grade 5 Fall"), make_course(lms, title="Grade 5 Spring")
    guid = item_id("nf.a.1")
    fall_target = make_target(fall, "I can add fractions", case_guid=guid, standard_code="5.NF.A.1")
    spring_target = make_target(spring, "Fractions, again", case_guid=guid)
    unlinked = make_target(spring, "I can draw a map")
    student = make_student(fall)
    again = make_student(spring, person=student.person)
    make_assessment(student, fall_target, 2.0, T0)
    make_assessment(student, fall_target, 3.0, T0 + timedelta(days=7))
    make_assessment(again, spring_target, 4.0, T0 + timedelta(days=60))
    make_assessment(again, unlinked, 1.0, T0 + timedelta(days=61))
    return lms, fall, spring, student, again, fall_target, spring_target


def test_binder_shows_one_history_per_standard_across_courses(client):
    _, _, spring, _, again, *_ = _two_courses()
    sign_in(client, again)
    page = client.get(f"/courses/{spring.id}/learn/binder").get_data(True)
    section = page[page.index("My standards across courses") :]
    assert (
        section.count('<article class="card" id="standard-') == 1
    )  # the unlinked target: not here
    assert "5.NF.A.1" in section
    points = re.findall(r"<li>(\d{4}-\d\d-\d\d): ([^<(]+) \(([\d.]+)\)", section)
    assert [(d, s) for d, _, s in points] == [
        ("2025-03-03", "2"),
        ("2025-03-10", "3"),
        ("2025-05-02", "4"),
    ]
    assert section.count("· Grade 5 Fall") == 2
    assert section.count("· Grade 5 Spring") == 1


def test_history_is_per_person_of_the_same_issuer(app, db_session):
    _, fall, _, _, again, fall_target, _ = _two_courses()
    stranger = make_student(fall)
    make_assessment(stranger, fall_target, 1.0, T0)
    (history,) = standards_progress.student_history(again)
    assert [p.score for p in history.points] == [2.0, 3.0, 4.0]
    assert history.courses == ["Grade 5 Fall", "Grade 5 Spring"]


def test_prior_levels_in_the_student_report_only_when_the_admin_shares_them(client):
    _, _, spring, student, again, fall_target, _ = _two_courses()
    make_mastery_record(student, fall_target, 3.0, updated_at=T0 + timedelta(days=7))
    make_relearning_log(student, fall_target, text="my private reflection from fall")
    teacher = make_teacher(spring)
    sign_in(client, teacher)
    url = f"/courses/{spring.id}/teach/students/{again.id}/report"
    page = client.get(url).get_data(True)
    assert "Prior levels from earlier courses" not in page
    admin = make_teacher(spring, lti_roles=[ADMIN])
    standards.save_settings(admin, share_prior_levels=True, programme_roles="", now=T0)
    db.session.commit()
    page = client.get(url).get_data(True)
    prior = page[page.index("Prior levels from earlier courses") :]
    assert "Fractions, again" in prior
    assert "in Grade 5 Fall, 2025-03-10" in prior
    assert "my private reflection" not in page


def test_prior_levels_of_another_platform_never_show(app, db_session):
    _, _, spring, student, again, fall_target, _ = _two_courses()
    other = make_platform()
    elsewhere = make_course(other)
    foreign = make_target(elsewhere, case_guid=item_id("nf.a.1"))
    # Same sub on another issuer is another person: a new Person row.
    outsider = make_student(elsewhere)
    make_mastery_record(outsider, foreign, 4.0)
    admin = make_teacher(spring, lti_roles=[ADMIN])
    standards.save_settings(admin, share_prior_levels=True, programme_roles="", now=T0)
    assert standards_progress.prior_levels(again) == {}  # no MasteryRecord in fall yet
    make_mastery_record(student, fall_target, 2.0)
    (prior,) = standards_progress.prior_levels(again).values()
    assert prior.course_title == "Grade 5 Fall"
