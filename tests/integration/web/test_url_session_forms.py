"""In a URL session (an LMS frame that blocks cookies) every GET form keeps the session.

A GET form's submission replaces its action's query string with the form's fields, so the
session the action URL carries (`lti_pl_s`) is dropped unless the form has it as a field: the
roster search, the audit trail's and readiness page's student filter, the quick grid's targets,
the stations planner and the standards search sent a Safari iPad teacher to "launch again".
"""

from __future__ import annotations

import re

from lti_pl.web import SESSION_PARAM, session_token
from tests.support.builders import (
    make_course,
    make_evidence,
    make_reassessment_request,
    make_student,
    make_target,
    make_teacher,
)
from tests.support.choice_builders import make_board
from tests.support.routes import page_urls

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def test_every_get_form_of_every_page_keeps_a_url_session(app, db_session):
    course = make_course()
    teacher, student = make_teacher(course), make_student(course)
    target = make_target(course, "I can add fractions")
    make_student(course)  # a second student: the pages with a student filter show it
    evidence = make_evidence(student, target)
    request_row = make_reassessment_request(student, target)
    board = make_board(course, target, activities=[{}, {}])
    ids = {
        "course_id": course.id,
        "enrollment_id": student.id,
        "student_id": student.id,
        "target_id": target.id,
        "evidence_id": evidence.id,
        "request_id": request_row.id,
        "board_id": board.id,
        "activity_id": board.activities[0].id,
    }
    checked = 0
    for enrollment, role, prefix in (
        (teacher, "teacher", "/teach/"),
        (student, "student", "/learn/"),
    ):
        with app.test_request_context():
            token = session_token(
                app, {"launches": {str(course.id): {"e": enrollment.id, "r": role}}}
            )
        browser = app.test_client()  # no cookie: the session is in the URL alone
        for url in page_urls(app, prefix, ids):
            page = browser.get(url, query_string={SESSION_PARAM: token})
            if page.status_code != 200 or page.mimetype != "text/html":
                continue
            for attributes, fields in FORM.findall(page.get_data(as_text=True)):
                if 'method="post"' in attributes.lower():
                    continue  # a POST keeps its action's query string
                checked += 1
                assert f'name="{SESSION_PARAM}"' in fields, (url, attributes)
    assert checked >= 8  # the pages above have that many GET forms at least
