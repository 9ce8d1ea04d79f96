"""Assigning activities lists the students whose structure is "assigned", the class on request.

Ticks only count for students on "assigned" (the others see the whole board); the page listed
the whole class, 3,600 boxes for 300 students, to tick a few students' work.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_pl.models.choice_boards import ActivityAssignment
from tests.support.builders import make_course, make_person, make_student, make_teacher, sign_in
from tests.support.choice_builders import make_board

ROW = re.compile(r'<th scope="row">([^<]+)')


def _class(client):
    course = make_course()
    sign_in(client, make_teacher(course))
    ana = make_student(course, person=make_person(course, name="Ana Alvarez"), structure="assigned")
    ben = make_student(course, person=make_person(course, name="Ben Okafor"))
    cy = make_student(course, person=make_person(course, name="Cy Dube"), structure="assigned")
    board = make_board(course, activities=[{"title": "Exit ticket"}, {"title": "Poster"}])
    return course, board, (ana, ben, cy)


def _names(page: str) -> list[str]:
    return [name.strip() for name in ROW.findall(page)]


def test_it_lists_the_students_on_assigned_and_the_class_on_request(client, db_session):
    course, board, _ = _class(client)
    url = f"/courses/{course.id}/teach/boards/{board.id}/assignments"

    page = client.get(url).get_data(as_text=True)
    assert _names(page) == ["Ana Alvarez", "Cy Dube"]
    assert "The 2 students on “assigned” of 3." in page
    assert "who=everyone" in page

    everyone = client.get(url, query_string={"who": "everyone"}).get_data(as_text=True)
    assert _names(everyone) == ["Ana Alvarez", "Ben Okafor", "Cy Dube"]
    assert "the ticks count for the 2 on “assigned”" in everyone


def test_saving_the_shorter_list_keeps_the_assignments_of_students_it_did_not_show(
    client, db_session
):
    course, board, (ana, ben, cy) = _class(client)
    exit_ticket, poster = board.activities
    url = f"/courses/{course.id}/teach/boards/{board.id}/assignments"
    # Ben had the poster assigned before his structure went back to guided.
    client.post(url, data={f"assign-{ben.id}": [str(poster.id)]})

    saved = client.post(
        url, data={f"assign-{ana.id}": [str(exit_ticket.id)], f"assign-{cy.id}": ""}
    )

    assert saved.status_code == 303
    rows = db_session.execute(
        select(ActivityAssignment.enrollment_id, ActivityAssignment.activity_id)
    ).all()
    assert sorted(rows) == sorted([(ana.id, exit_ticket.id), (ben.id, poster.id)])


def test_with_nobody_on_assigned_it_says_where_to_set_it_and_links_the_class(client, db_session):
    course = make_course()
    sign_in(client, make_teacher(course))
    make_student(course, person=make_person(course, name="Ben Okafor"))
    board = make_board(course, activities=[{}])
    url = f"/courses/{course.id}/teach/boards/{board.id}/assignments"
    text = client.get(url).get_data(as_text=True)
    assert _names(text) == []
    assert "No student's structure is “assigned” yet" in text
    assert "show everyone (1)" in text
    everyone = client.get(url, query_string={"who": "everyone"}).get_data(as_text=True)
    assert _names(everyone) == ["Ben Okafor"]
    assert "nobody is on “assigned” yet" in everyone
