"""The data wall of a big course: bytes and statements (never timings), the summary row per
target, paging, and the group and station filters of the latest station rotation."""

from __future__ import annotations

import re

from sqlalchemy import insert

from lti_pl.extensions import db
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.profiles import StationPlanRecord
from tests.support.builders import add_students, make_mastery_record, make_student
from tests.support.choice_builders import course, enrollment_of, launch, make_targets
from tests.support.queries import count_queries

ROW_NAME = re.compile(
    r'<th scope="row"><input[^>]+><label[^>]+>[^<]+</label> <a href="[^"]+">([^<]+)</a>'
)


def fill(course_row, students: int, targets: int) -> list[int]:
    """`students` x `targets` with a mastery record on 85% of the cells; returns enrollment ids."""
    rows = make_targets(course_row, targets)
    enrollments = add_students(
        course_row.id, students, issuer="https://lms.test", subject_prefix=f"c{course_row.id}-"
    )
    values = []
    for n, student in enumerate(enrollments):
        for i, target in enumerate(rows):
            if (n * 7 + i) % 7 == 0:
                continue  # not assessed
            score = float((n + i) % 5)
            values.append(
                {
                    "course_id": course_row.id,
                    "enrollment_id": student.id,
                    "target_id": target.id,
                    "method": "decaying_average",
                    "score": score,
                    "level_points": score,
                    "label": "",
                    "is_mastered": score >= 3,
                    "details": {},
                }
            )
    db.session.execute(insert(MasteryRecord), values)
    db.session.commit()
    return [e.id for e in enrollments]


def test_300_students_by_40_targets_fit_in_500_kb_and_a_constant_number_of_statements(
    client, platform, db_session
):
    small = launch(platform, client, "Instructor", "teacher-1", context_id="small")
    big = launch(platform, client, "Instructor", "teacher-1", context_id="big")
    fill(course(small), 5, 4)
    fill(course(big), 300, 40)
    sizes, counts, pages = {}, {}, {}
    for course_id in (small, big):
        url = f"/courses/{course_id}/teach/data-wall"
        assert client.get(url).status_code == 200  # warm-up (templates, scale)
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        pages[course_id] = response.get_data(as_text=True)
        sizes[course_id] = len(response.data)
        counts[course_id] = len(statements)
    assert counts[small] == counts[big], counts
    assert counts[big] <= 12, counts
    assert sizes[big] < 500_000, sizes  # 2.2 MB before paging and lighter cells
    page = pages[big]
    # The first screen is complete: 50 whole rows of 40 cells, and the way to the others.
    assert len(ROW_NAME.findall(page)) == 50
    assert page.count('<td class="b') == 50 * 40
    assert page.count('<button form="cell" name="c" value="') == 50 * 40
    assert "Students 1–50 of 300 × 40 targets" in page
    assert "Page 1 of 6" in page
    # The summary counts every student (all pages), once per target.
    assert page.count("Summary of 300 students (all pages)") == 1
    counts_text = re.findall(
        r"<span>(\d+) mastered</span><span>(\d+) near mastery</span>"
        r"<span>(\d+) below mastery</span><span>(\d+) not assessed</span>",
        page,
    )
    assert len(counts_text) == 40
    assert all(sum(map(int, c)) == 300 for c in counts_text)


def test_summary_row_counts_each_band_and_paging_keeps_the_filters(
    app, client, platform, db_session
):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    row = course(course_id)
    (target,) = make_targets(row, 1)
    # Default scale: mastery at 3; "near" is the level just below (2).
    for n, score in enumerate((4.0, 3.0, 2.0, 1.0, 0.0, None)):
        student = make_student(row, section="A")
        student.person.name = f"Pupil {n}"
        if score is not None:
            make_mastery_record(student, target, score)
    db_session.commit()
    page = client.get(f"/courses/{course_id}/teach/data-wall").get_data(as_text=True)
    assert (
        "<span>2 mastered</span><span>1 near mastery</span>"
        "<span>2 below mastery</span><span>1 not assessed</span>"
    ) in page
    assert 'style="width:33.3%"' in page  # the bar: 2 of 6 mastered
    assert page.count('<td class="bx">') == 1  # not assessed: blank pattern, no level colour
    assert "No evidence</button>" in page

    from lti_pl.services import data_wall

    wall = data_wall.build_wall(row, section="A", per_page=4)
    assert wall.pages == 2
    assert [r.name for r in wall.page_rows] == [f"Pupil {n}" for n in range(4)]
    second = data_wall.build_wall(row, section="A", per_page=4, page="2")
    assert [r.name for r in second.page_rows] == ["Pupil 4", "Pupil 5"]
    assert data_wall.build_wall(row, per_page=4, page="99").page == 2  # past the end: the last
    assert sum(second.summaries[0].counts) == 6  # the summary counts every page
    for bad in ("0", "-1", "x", "²", "9" * 50):
        response = client.get(f"/courses/{course_id}/teach/data-wall?page={bad}")
        assert response.status_code == 422, bad
        assert "Pages are numbered from 1." in response.get_data(as_text=True)


def test_filters_by_group_and_station_of_the_latest_rotation(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    row = course(course_id)
    make_targets(row, 1)
    ids = []
    for name in ("Ana", "Ben", "Cy", "Dee"):
        student = make_student(row)
        student.person.name = name
        ids.append(student.id)
    old = StationPlanRecord(course_id=row.id, title="Old", plan={"groups": []})
    db_session.add(old)
    db_session.flush()
    plan = {
        "groups": [
            {
                "key": "teacher_led-1",
                "station": "teacher_led",
                "students": [{"enrollment_id": ids[0]}],
            },
            {
                "key": "independent-1",
                "station": "independent",
                "students": [{"enrollment_id": ids[1]}],
            },
            {
                "key": "independent-2",
                "station": "independent",
                "students": [{"enrollment_id": ids[2]}],
            },
        ]
    }
    db_session.add(StationPlanRecord(course_id=row.id, title="Monday rotation", plan=plan))
    db_session.commit()

    def names(query: str) -> list[str]:
        response = client.get(f"/courses/{course_id}/teach/data-wall?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return ROW_NAME.findall(response.get_data(as_text=True))

    page = client.get(f"/courses/{course_id}/teach/data-wall").get_data(as_text=True)
    assert "Monday rotation" in page
    assert '<option value="independent-2" >Independent 2 (1)</option>' in page
    assert names("") == ["Ana", "Ben", "Cy", "Dee"]
    assert names("group=teacher_led-1") == ["Ana"]
    assert names("station=independent") == ["Ben", "Cy"]
    assert names("station=independent&group=independent-2") == ["Cy"]
    assert names("station=independent&group=teacher_led-1") == []
    for bad in ("group=nope", "station=kitchen"):
        assert client.get(f"/courses/{course_id}/teach/data-wall?{bad}").status_code == 422


def test_a_url_session_wall_writes_its_token_a_few_times_not_once_per_cell(
    app, client, platform, db_session
):
    """Where the LMS frame blocks cookies the session rides in the URL: 2,000 cells must not
    each repeat it (that made the page 650 kB)."""
    from lti_pl.web import SESSION_PARAM, session_token

    course_id = launch(platform, client, "Instructor", "teacher-1", context_id="big")
    fill(course(course_id), 300, 40)
    teacher = enrollment_of(course_id, "teacher-1")
    data = {"launches": {str(course_id): {"e": teacher.id, "r": "teacher"}}}
    with app.test_request_context():
        token = session_token(app, data)
    stranger = app.test_client()  # no cookie: the session comes from the URL only
    url = f"/courses/{course_id}/teach/data-wall?{SESSION_PARAM}={token}"
    response = stranger.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert len(response.data) < 500_000, len(response.data)
    assert page.count(token) < 100, page.count(token)  # nav, pager, sort links: not cells
    # The GET forms (filters, cells) carry the session as a field: browsers drop the query.
    fields = re.findall(rf'<input type="hidden" name="{SESSION_PARAM}" value="([^"]+)">', page)
    assert len(fields) == 2
    cell = re.search(r'name="c" value="([0-9-]+)"', page)
    assert cell is not None
    opened = stranger.get(  # what the cell form sends: its own field, the cell
        f"/courses/{course_id}/teach/data-wall/cell?{SESSION_PARAM}={fields[1]}&c={cell.group(1)}"
    )
    assert opened.status_code == 200
