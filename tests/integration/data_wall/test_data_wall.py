"""The data wall: mastery from assessments, labels beside colours, filters, sorting, cell details,
bulk dial changes, a constant number of queries, and who may see it."""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_pl.domain.mastery import CALCULATION_METHODS
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from tests.support.builders import (
    make_evidence,
    make_mastery_record,
    make_reassessment_request,
    make_student,
)
from tests.support.choice_builders import assess, course, enrollment_of, launch, make_targets
from tests.support.queries import count_queries


def populate(course_row, students: int, targets: int = 4) -> None:
    rows = make_targets(course_row, targets)
    for n in range(students):
        student = make_student(course_row, section="A" if n % 2 else "B")
        for index, target in enumerate(rows):
            if (n + index) % 3 == 0:
                continue  # no evidence
            make_mastery_record(student, target, float((n + index) % 5))
            make_evidence(student, target)
        make_reassessment_request(student, rows[0])


def test_data_wall_runs_a_constant_number_of_queries(client, platform, db_session):
    small = launch(platform, client, "Instructor", "teacher-1", context_id="small")
    large = launch(platform, client, "Instructor", "teacher-1", context_id="large")
    populate(course(small), 5)
    populate(course(large), 30)
    counts = {}
    for course_id, size in ((small, 5), (large, 30)):
        assert client.get(f"/courses/{course_id}/teach/data-wall").status_code == 200  # warm-up
        with count_queries() as statements:
            response = client.get(f"/courses/{course_id}/teach/data-wall")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('name="enrollment_ids"') == size
        counts[size] = len(statements)
    assert counts[5] == counts[30], counts
    assert counts[5] <= 12


def test_wall_reflects_assessed_mastery_with_labels_and_filters(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    for user_id in ("ana", "ben", "cy"):
        launch(platform, app.test_client(), "Learner", user_id)
    fractions, cells = make_targets(course(course_id), 2)
    ana, ben, _cy = (enrollment_of(course_id, u) for u in ("ana", "ben", "cy"))
    ana.section = "Period 1"
    ben.section = "Period 2"
    db_session.commit()
    ana_record = assess(ana, fractions, 3, 4)
    assess(ben, fractions, 1)
    make_reassessment_request(ben, cells)

    page = client.get(f"/courses/{course_id}/teach/data-wall").get_data(as_text=True)
    # Colour and words together.
    assert "--level-color: #127a1b" in page or "--level-color: #0b874b" in page
    assert ana_record.label in page
    # Each cell: a band (pattern), a level class (colour, defined once per page) and the words.
    below = f'<td class="bb l3"><button form="cell" name="c" value="{ben.id}-{fractions.id}">'
    assert below + "Below Mastery 1.00</button>" in page
    assert ".wall .l3{--level-color:" in page
    assert "No evidence" in page
    assert "Ready to assess" in page

    def names(query: str) -> list[str]:
        html = client.get(f"/courses/{course_id}/teach/data-wall?{query}").get_data(as_text=True)
        row = r'<th scope="row"><input[^>]+><label[^>]+>[^<]+</label> <a href="[^"]+">([^<]+)</a>'
        return re.findall(row, html)

    assert names("") == ["Ana", "Ben", "Cy"]
    assert names("section=Period+2") == ["Ben"]
    assert names("status=mastered") == ["Ana"]
    assert names("status=not_yet") == ["Ben"]
    assert names("status=ready") == ["Ben"]
    assert names("status=no_evidence") == ["Ana", "Ben", "Cy"]  # everyone lacks one target
    assert names(f"sort={fractions.id}&order=desc") == ["Ana", "Ben", "Cy"]
    assert names(f"sort={fractions.id}&order=asc") == ["Cy", "Ben", "Ana"]
    assert names("sort=student&order=desc") == ["Cy", "Ben", "Ana"]
    assert client.get(f"/courses/{course_id}/teach/data-wall?status=bogus").status_code == 422

    detail = client.get(
        f"/courses/{course_id}/teach/data-wall/students/{ana.id}/targets/{fractions.id}"
    )
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200
    # The cell explains the result to the teacher, in the third person, by the method's name.
    shown = re.search(r'<p class="explanation">([^<]+)</p>', text.replace("&#39;", "'"))
    assert shown is not None
    assert shown.group(1).startswith(f"{CALCULATION_METHODS[ana_record.method].label}. ")
    assert "you" not in shown.group(1).lower().split()
    assert ana_record.explanation not in text.replace("&#39;", "'")
    assert text.count('<tr><th scope="row">') == 2  # two assessments
    # The cell buttons open the same page through one small GET form.
    opened = client.get(f"/courses/{course_id}/teach/data-wall/cell?c={ana.id}-{fractions.id}")
    assert opened.status_code == 200
    assert opened.get_data(as_text=True).count('<tr><th scope="row">') == 2
    for bad in ("", "x", f"{ana.id}", f"{ana.id}-", f"-{fractions.id}", f"{ana.id}-{2**40}"):
        response = client.get(f"/courses/{course_id}/teach/data-wall/cell?c={bad}")
        assert response.status_code == 404, bad


def structure_of(enrollment_id: int) -> str | None:
    return db.session.scalar(select(Enrollment.structure).where(Enrollment.id == enrollment_id))


def test_bulk_structure_change_from_the_wall(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    for user_id in ("ana", "ben", "cy"):
        launch(platform, app.test_client(), "Learner", user_id)
    ana, ben, cy = (enrollment_of(course_id, u).id for u in ("ana", "ben", "cy"))
    response = client.post(
        f"/courses/{course_id}/teach/data-wall/structure",
        data={"enrollment_ids": [str(ana), str(cy)], "structure": "free"},
    )
    assert response.status_code == 303
    assert [structure_of(e) for e in (ana, ben, cy)] == ["free", None, "free"]
    client.post(
        f"/courses/{course_id}/teach/data-wall/structure",
        data={"enrollment_ids": [str(ana)], "structure": ""},
    )
    assert structure_of(ana) is None
    bad = client.post(
        f"/courses/{course_id}/teach/data-wall/structure",
        data={"enrollment_ids": [str(ana)], "structure": "anarchy"},
    )
    assert bad.status_code == 422


def test_bulk_structure_ignores_ids_no_student_can_have(app, client, platform, db_session):
    # "²" passed isdigit() and failed int(); 2**31 failed PostgreSQL ("integer out of range").
    course_id = launch(platform, client, "Instructor", "teacher-1")
    launch(platform, app.test_client(), "Learner", "ana")
    ana = enrollment_of(course_id, "ana").id
    response = client.post(
        f"/courses/{course_id}/teach/data-wall/structure",
        data={"enrollment_ids": ["²", str(2**31), "9" * 5000, str(ana)], "structure": "free"},
    )
    assert response.status_code == 303
    assert structure_of(ana) == "free"
    refused = client.post(
        f"/courses/{course_id}/teach/data-wall/structure",
        data={"enrollment_ids": ["²", str(2**31)], "structure": "free"},
    )
    assert refused.status_code == 422
    assert "Tick at least one student." in refused.get_data(as_text=True)


def test_students_and_other_teachers_cannot_see_the_wall(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    (target,) = make_targets(course(course_id), 1)
    target_id = target.id
    student = app.test_client()
    launch(platform, student, "Learner", "ana")
    ana_id = enrollment_of(course_id, "ana").id
    assert student.get(f"/courses/{course_id}/teach/data-wall").status_code == 403
    other = app.test_client()
    other_course = launch(platform, other, "Instructor", "teacher-2", context_id="other")
    assert other.get(f"/courses/{course_id}/teach/data-wall").status_code == 403
    assert (
        other.get(
            f"/courses/{other_course}/teach/data-wall/students/{ana_id}/targets/{target_id}"
        ).status_code
        == 404
    )
