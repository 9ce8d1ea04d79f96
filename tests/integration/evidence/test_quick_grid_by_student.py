"""The quick grid one student at a time: what a teacher walking the room with a phone uses.

A phone cannot show 25 students × 5 targets; this page shows one student's targets, one under
the other, with their level now, and saves them and opens the next student in one tap.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import Assessment
from lti_pl.services.mastery import recompute
from tests.support.builders import (
    T0,
    make_assessment,
    make_course,
    make_person,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)


def _class(course, *names):
    return [make_student(course, person=make_person(course, name=n)) for n in names]


def signed_in_class(client, *statements):
    """A course with Ana and Ben and two targets, its teacher signed in."""
    course = make_course()
    sign_in(client, make_teacher(course))
    students = _class(course, "Ana Alvarez", "Ben Okafor")
    return course, students, [make_target(course, s) for s in statements or (None, None)]


def _save(client, course, student, then, scores, **fields):
    """POST the one-student form: `scores` maps a target to what was typed."""
    data = {"student": str(student.id), "then": str(then.id), **fields}
    data.update({f"score_{student.id}_{t.id}": text for t, text in scores.items()})
    return client.post(f"/courses/{course.id}/teach/quick-grid", data=data)


def _page(client, course, **query):
    answer = client.get(f"/courses/{course.id}/teach/quick-grid/student", query_string=query)
    return answer, answer.get_data(as_text=True)


def test_it_opens_on_the_first_student_by_name_with_their_levels_and_the_next_one(
    app, client, db_session
):
    course = make_course()
    teacher = make_teacher(course)
    zoe, ana, ben = _class(course, "Zoë Young", "Ana Alvarez", "Ben Okafor")
    fractions = make_target(course, "I can add fractions")
    make_target(course, "I can compare decimals")
    make_assessment(ana, fractions, 3, assessed_at=T0)
    recompute(ana.id, fractions.id, now=T0)
    db.session.commit()
    sign_in(client, teacher)
    answer, page = _page(client, course)
    assert answer.status_code == 200
    assert re.search(r'<h2 id="qg-name">Ana Alvarez</h2>', page)
    assert "Student 1 of 3" in page
    assert 'rel="prev"' not in page
    assert f"student={ben.id}" in page
    assert 'rel="next"' in page
    assert f'name="score_{ana.id}_{fractions.id}"' in page
    assert f'name="score_{zoe.id}_{fractions.id}"' not in page  # one student's row only
    now = re.search(rf'id="now-{fractions.id}">(.*?)</p>', page, re.S)
    assert now
    assert "Mastery" in now.group(1)
    assert "(3)" in now.group(1)
    assert "Not assessed yet" in page  # the decimals target
    assert f'name="then" value="{ben.id}"' in page
    assert "Save, then Ben Okafor" in page


def test_save_then_next_stores_the_scores_and_opens_the_next_student_with_the_comment(
    app, client, db_session
):
    course, (ana, ben), (t1, t2) = signed_in_class(client)
    answer = _save(client, course, ana, ben, {t1: "3", t2: ""}, comment="Station check")
    assert answer.status_code == 303
    where = urlsplit(answer.headers["Location"])
    assert where.path == f"/courses/{course.id}/teach/quick-grid/student"
    assert parse_qs(where.query) == {"student": [str(ben.id)], "comment": ["Station check"]}
    saved = [
        (a.enrollment_id, a.target_id, a.score, a.comment)
        for a in db.session.scalars(select(Assessment))
    ]
    assert saved == [(ana.id, t1.id, 3.0, "Station check")]
    _, page = _page(client, course, **parse_qs(where.query))
    assert "Saved 1 score for Ana Alvarez." in page
    assert re.search(r'<h2 id="qg-name">Ben Okafor</h2>', page)
    assert 'value="Station check"' in page  # carried on, not typed again
    assert "Ben Okafor is the last student." in page
    assert 'name="then"' not in page


def test_a_bad_score_saves_nothing_and_keeps_what_was_typed_on_the_same_student(
    app, client, db_session
):
    course, (ana, ben), (t1, t2) = signed_in_class(client)
    answer = _save(client, course, ana, ben, {t1: "3", t2: "9"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'role="alert"' in page
    assert "Nothing was saved" in page
    assert re.search(r'<h2 id="qg-name">Ana Alvarez</h2>', page)  # not the whole grid
    assert re.search(rf'name="score_{ana.id}_{t1.id}"[^>]*value="3"', page)
    assert re.search(rf'name="score_{ana.id}_{t2.id}"[^>]*value="9"', page)
    assert db.session.scalars(select(Assessment)).all() == []


def test_a_target_filter_stays_on_from_student_to_student(app, client, db_session):
    course, (ana, ben), (_, t2) = signed_in_class(client, "I can add", "I can divide")
    _, page = _page(client, course, target=str(t2.id))
    assert "I can divide" in page
    assert "I can add" not in page
    following = re.search(r'rel="next" href="([^"]+)"', page)
    assert following, page
    assert parse_qs(urlsplit(following.group(1).replace("&amp;", "&")).query) == {
        "student": [str(ben.id)],
        "target": [str(t2.id)],
    }
    answer = _save(client, course, ana, ben, {}, target=str(t2.id))
    assert parse_qs(urlsplit(answer.headers["Location"]).query) == {
        "student": [str(ben.id)],
        "target": [str(t2.id)],
    }
    grid = client.get(f"/courses/{course.id}/teach/quick-grid?target={t2.id}")
    assert f"/teach/quick-grid/student?target={t2.id}" in grid.get_data(as_text=True)


def test_ids_that_are_not_a_student_of_this_course_are_refused_with_a_reason(
    app, client, db_session
):
    course = make_course()
    teacher = make_teacher(course)
    _class(course, "Ana Alvarez")
    make_target(course)
    other = make_student(make_course())
    sign_in(client, teacher)
    for student, status in ((other.id, 404), (teacher.id, 404), ("abc", 422), ("²", 422)):
        answer, page = _page(client, course, student=student)
        assert answer.status_code == status, (student, page[:300])
        reason = "That student is not in this course." if status == 404 else "Choose a student"
        assert reason in page


def test_a_student_cannot_open_it_and_an_empty_course_says_what_is_missing(app, client, db_session):
    course = make_course()
    teacher = make_teacher(course)
    make_target(course)
    sign_in(client, teacher)
    _, page = _page(client, course)
    assert "The grid needs students" in page
    (ana,) = _class(course, "Ana Alvarez")
    sign_in(client, ana)
    answer, _ = _page(client, course)
    assert answer.status_code == 403


def test_a_students_report_links_to_scoring_them_and_their_own_binder_does_not(
    app, client, db_session
):
    # A teacher reading a student's report (from the data wall) scores them from there.
    course, (ana, _ben), _ = signed_in_class(client)
    report = client.get(f"/courses/{course.id}/teach/students/{ana.id}/report")
    link = f"/courses/{course.id}/teach/quick-grid/student?student={ana.id}"
    assert f'href="{link}"' in report.get_data(as_text=True)
    assert "Score Ana Alvarez on each target" in report.get_data(as_text=True)
    sign_in(client, ana)
    binder = client.get(f"/courses/{course.id}/learn/binder").get_data(as_text=True)
    assert "quick-grid" not in binder
