"""The grade audit trail a page at a time, for the course or one student.

It showed the newest 500 entries as if they were all ("500 change(s)"): a term's trail runs
past that, and the question it is kept for (who changed this grade in September, and why) could
not be answered from the tool.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

from lti_pl.domain.audit import AuditAction
from lti_pl.services import audit
from lti_pl.services.audit import AUDIT_PAGE
from tests.support.builders import make_course, make_student, make_teacher, sign_in

T = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def a_term(count: int):
    """A course whose trail has `count` entries, a minute apart, alternating two students."""
    course = make_course()
    teacher, ana, ben = make_teacher(course), make_student(course), make_student(course)
    for i in range(count):
        audit.record(
            course.id,
            teacher.id,
            AuditAction.ASSESSMENT,
            student_id=(ana, ben)[i % 2].id,
            detail=f"entry {i}",
            now=T + timedelta(minutes=i),
        )
    return course, teacher, ana, ben


def details(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"</strong>: entry (\d+)</p>", page)]


def older_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)">Older changes</a>', page)
    return html.unescape(found.group(1)) if found else None


def walk(client, url: str) -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        pages.append(details(page))
        url = older_link(page)
    return pages


def test_every_entry_of_a_long_term_is_on_a_page_newest_first(app, client, db_session):
    count = 520  # past the 500 the page used to stop at
    course, teacher, _ana, _ben = a_term(count)
    sign_in(client, teacher)
    pages = walk(client, f"/courses/{course.id}/teach/audit")
    assert [len(p) for p in pages] == [AUDIT_PAGE] * 5 + [count - 5 * AUDIT_PAGE]
    seen = [n for p in pages for n in p]
    assert seen == list(range(count - 1, -1, -1))  # each once, newest first


def test_one_students_changes_page_by_page(app, client, db_session):
    course, teacher, ana, _ben = a_term(2 * AUDIT_PAGE + 10)
    sign_in(client, teacher)
    first = client.get(f"/courses/{course.id}/teach/audit?student={ana.id}")
    page = first.get_data(as_text=True)
    assert f"Grade audit trail: {ana.person.display_name}" in page
    assert f'<option value="{ana.id}" selected>' in page
    assert f"student={ana.id}" in (older_link(page) or "")  # the next page keeps the student
    pages = walk(client, f"/courses/{course.id}/teach/audit?student={ana.id}")
    seen = [n for p in pages for n in p]
    assert seen == list(range(2 * AUDIT_PAGE + 8, -1, -2))  # Ana's: the even entries


def test_ids_from_elsewhere_or_broken_links_are_refused(app, client, db_session):
    course, teacher, _ana, _ben = a_term(3)
    other_course, other_teacher, other_student, _ = a_term(1)
    foreign_entry = audit.course_trail(other_teacher)[0].entry.id
    sign_in(client, teacher)
    base = f"/courses/{course.id}/teach/audit"
    assert client.get(f"{base}?student={other_student.id}").status_code == 404
    assert client.get(f"{base}?student={teacher.id}").status_code == 404  # not a student
    assert client.get(f"{base}?before={foreign_entry}").status_code == 404
    assert client.get(f"{base}?before=abc").status_code == 422
    assert client.get(f"{base}?student=1%20OR%201").status_code == 422
    assert other_course.id != course.id


def test_the_whole_trail_downloads_as_csv_oldest_first(app, client, db_session):
    course, teacher, ana, ben = a_term(520)
    audit.record(
        course.id,
        teacher.id,
        AuditAction.OVERRIDE,
        student_id=ana.id,
        reason='=HYPERLINK("http://evil.example")',
        now=T + timedelta(days=30),
    )
    sign_in(client, teacher)
    exports = client.get(f"/courses/{course.id}/teach/exports").get_data(as_text=True)
    assert f"/courses/{course.id}/teach/exports/audit.csv" in exports
    assert f"/courses/{course.id}/teach/exports/audit.csv" in client.get(
        f"/courses/{course.id}/teach/audit"
    ).get_data(as_text=True)
    response = client.get(f"/courses/{course.id}/teach/exports/audit.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 521  # every entry, not a page of them
    assert [r["detail"] for r in rows[:520]] == [f"entry {i}" for i in range(520)]  # oldest first
    first, last = rows[0], rows[-1]
    assert first["at_utc"] == "2026-09-01T08:00:00Z"
    assert (first["action"], first["by"], first["student"]) == (
        "Assessed",
        teacher.person.display_name,
        ana.person.display_name,
    )
    assert rows[1]["student_enrollment_id"] == str(ben.id)
    assert last["reason"].startswith("'=")  # a spreadsheet shows it, does not run it
    assert last["action"] == "Set level by hand"


def test_a_student_cannot_download_the_trail(app, client, db_session):
    course, _teacher, ana, _ben = a_term(2)
    sign_in(client, ana)
    assert client.get(f"/courses/{course.id}/teach/exports/audit.csv").status_code == 403
