"""Prior levels from earlier courses on the data wall: only when the LMS's admin shares them, only
on targets linked to a CASE item, level and date only, one query for the whole page."""

import re
from datetime import timedelta

from lti_pl.extensions import db
from lti_pl.services import standards, standards_import
from tests.support.builders import (
    T0,
    make_course,
    make_evidence,
    make_mastery_record,
    make_platform,
    make_relearning_log,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)
from tests.support.case_provider import item_id, math_package
from tests.support.queries import count_queries

ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


def _earlier_and_now(students: int = 1):
    """Fall and spring of one LMS; each student's fall level on a linked and an unlinked target."""
    lms = make_platform()
    standards_import.import_data(lms.issuer, math_package(), source="t", now=T0)
    fall, spring = make_course(lms, title="Grade 5 Fall"), make_course(lms, title="Grade 5 Spring")
    guid = item_id("nf.a.1")
    fall_linked = make_target(fall, "I can add fractions", case_guid=guid)
    fall_map = make_target(fall, "I can draw a map")
    make_target(spring, "Fractions, again", case_guid=guid)
    make_target(spring, "I can draw a map")
    for n in range(students):
        before = make_student(fall)
        make_student(spring, person=before.person)
        make_mastery_record(before, fall_linked, 3.0, updated_at=T0 + timedelta(days=7 + n))
        make_mastery_record(before, fall_map, 1.0, updated_at=T0 + timedelta(days=9))
        make_evidence(before, fall_linked, text="my fall essay about fractions")
        make_relearning_log(before, fall_linked, text="my private reflection from fall")
    return spring, make_teacher(spring)


def _share(course) -> None:
    admin = make_teacher(course, lti_roles=[ADMIN])
    standards.save_settings(admin, share_prior_levels=True, programme_roles="", now=T0)
    db.session.commit()


def _prior_lines(page: str) -> list[str]:
    """The text of each prior-level line on the page (its title, then its words)."""
    cells = [part.split("</td>", 1)[0] for part in page.split('class="wall-prior" ')[1:]]
    return [re.sub(r"<[^>]+>", "", re.sub(r'^title="([^"]*)">', r"\1: ", c)) for c in cells]


def test_prior_level_and_date_on_the_wall_only_when_shared(client):
    spring, teacher = _earlier_and_now()
    sign_in(client, teacher)
    url = f"/courses/{spring.id}/teach/data-wall"
    page = client.get(url).get_data(True)
    assert "wall-prior" not in page  # off by default
    _share(spring)
    page = client.get(url).get_data(True)
    # One line: the linked target only (the unlinked map target has a fall level too).
    assert _prior_lines(page) == [
        "Prior level in Grade 5 Fall, 2025-03-10: prior: Mastery (2025-03-10) in Grade 5 Fall"
    ]
    assert "my fall essay" not in page
    assert "my private reflection" not in page


def _sql(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]


def test_prior_levels_cost_one_query_for_the_whole_page(client):
    counts = {}
    for students in (1, 4):
        spring, teacher = _earlier_and_now(students)
        sign_in(client, teacher)
        url = f"/courses/{spring.id}/teach/data-wall"
        client.get(url)  # warm-up
        with count_queries() as off:
            client.get(url)
        _share(spring)
        with count_queries() as on:
            page = client.get(url).get_data(True)
        assert len(_prior_lines(page)) == students
        # Without the test transaction's own savepoints: a page that only reads leaves the open
        # one as it is, the first page after _share's commit opens a new one.
        counts[students] = (len(_sql(off)), len(_sql(on)))
    assert counts[1] == counts[4], counts
    off, on = counts[1]
    assert on == off + 1, counts
