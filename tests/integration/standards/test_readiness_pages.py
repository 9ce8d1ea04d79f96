"""Readiness with a term's worth of rows: the queue's few, the readiness page a page at a time.

A course of 300 students and 40 targets has thousands of student × target rows not yet
mastered: the assessment queue listed every likely-ready one (732 kB) and the readiness page
every row (4.9 MB, 9,377 rows), both after reading every assessment as whole ORM rows.
"""

import re
from datetime import timedelta

from lti_pl.services import readiness
from tests.support.builders import (
    T0,
    make_assessment,
    make_course,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)
from tests.support.queries import count_queries

ROW_NAME = re.compile(r'<th scope="row" role="rowheader">([^<]+)</th>')


def _course_with(students: int, targets: int):
    """A course where every student has three assessments on every target, some near mastery."""
    course = make_course()
    made = [make_target(course, f"I can do skill {n}") for n in range(targets)]
    people = []
    for s in range(students):
        student = make_student(course)
        for t, target in enumerate(made):
            for day, score in enumerate((2.0, 3.0 if (s + t) % 3 else 2.0, 3.0)):
                make_assessment(student, target, score, T0 + timedelta(days=day))
        people.append(student)
    readiness.refit(course.platform.issuer, now=T0 + timedelta(days=4))
    return course, made, people


def _rows(page: str) -> list[str]:
    return ROW_NAME.findall(page)


def test_the_queue_shows_the_most_likely_few_and_says_how_many_more(client, db_session):
    course, _, _ = _course_with(students=8, targets=3)
    sign_in(client, make_teacher(course))
    likely = [r for r in readiness.course_readiness(course) if r.is_ready]
    assert len(likely) > readiness.READY_IN_QUEUE  # the case the queue must cut short

    page = client.get(f"/courses/{course.id}/teach/assess").get_data(True)
    section = page[page.index("Likely ready to show mastery") :]

    shown = likely[: readiness.READY_IN_QUEUE]
    assert _rows(section) == [r.enrollment.person.display_name for r in shown]
    assert f"The {readiness.READY_IN_QUEUE} most likely of {len(likely)} likely ready" in section
    assert f"/courses/{course.id}/teach/standards/readiness" in section


def test_the_readiness_page_walks_every_row_once_most_likely_first(client, db_session):
    course, _, people = _course_with(students=36, targets=3)  # 108 rows: two pages
    sign_in(client, make_teacher(course))
    found = readiness.course_readiness(course)
    assert len(found) > readiness.READINESS_PAGE

    first = client.get(f"/courses/{course.id}/teach/standards/readiness").get_data(True)
    second = client.get(f"/courses/{course.id}/teach/standards/readiness?page=2").get_data(True)

    assert len(_rows(first)) == readiness.READINESS_PAGE
    assert _rows(first) + _rows(second) == [r.enrollment.person.display_name for r in found]
    assert f"1–{readiness.READINESS_PAGE} of {len(found)}, most likely first" in first
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    # A page past the last (a stale link) shows the last one.
    stale = client.get(f"/courses/{course.id}/teach/standards/readiness?page=9")
    assert _rows(stale.get_data(True)) == _rows(second)

    one = people[5]
    own = client.get(f"/courses/{course.id}/teach/standards/readiness?student={one.id}")
    assert set(_rows(own.get_data(True))) == {one.person.display_name}
    assert len(_rows(own.get_data(True))) == 3  # one row per target


def test_broken_and_foreign_links_are_refused(client, db_session):
    course, _, _ = _course_with(students=2, targets=1)
    other = make_student(make_course())
    sign_in(client, make_teacher(course))
    base = f"/courses/{course.id}/teach/standards/readiness"
    assert client.get(f"{base}?page=0").status_code == 422
    assert client.get(f"{base}?page=x").status_code == 422
    assert client.get(f"{base}?student=abc").status_code == 422
    assert client.get(f"{base}?student={other.id}").status_code == 404


def test_readiness_reads_assessments_as_columns_not_whole_rows(client, db_session):
    course, _, _ = _course_with(students=3, targets=2)
    with count_queries() as statements:
        readiness.course_readiness(course)
    reading = [s for s in statements if "FROM assessment" in s]
    assert reading
    for statement in reading:
        listed = statement.split("FROM assessment")[0]
        # A whole course or target per assessment decoded their JSON columns on every row.
        assert "course.scale_levels" not in listed
        assert "learning_target.method_params" not in listed
        assert "learning_target.statement" not in listed
