"""The quick grid's targets: the teacher chooses them, and a large course chooses first.

With 300 students and 40 targets the grid was 12,000 fields (2.4 MB) whatever the teacher came
to score, with no way to pick the targets of today's exit ticket.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import Assessment
from lti_pl.web.instructor import evidence as grid_views
from tests.support.builders import make_course, make_student, make_target, make_teacher, sign_in

FIELD = re.compile(r'<input id="(score_\d+_\d+)" name="score_')


def _course(client, students: int, targets: int):
    course = make_course()
    sign_in(client, make_teacher(course))
    people = [make_student(course) for _ in range(students)]
    return course, people, [make_target(course, f"I can do part {n}") for n in range(targets)]


def test_the_teacher_chooses_the_grids_targets_and_saving_keeps_them(client, db_session):
    course, people, targets = _course(client, students=3, targets=4)
    url = f"/courses/{course.id}/teach/quick-grid"

    every = client.get(url).get_data(as_text=True)
    assert len(FIELD.findall(every)) == 12
    assert "Targets in the grid: all 4" in every
    for target in targets:  # the picker lists every target
        assert f'id="grid-target-{target.id}" name="target" value="{target.id}"' in every

    chosen = targets[1], targets[3]
    page = client.get(url, query_string={"target": [str(t.id) for t in chosen]})
    text = page.get_data(as_text=True)
    fields = FIELD.findall(text)
    assert fields == [f"score_{p.id}_{t.id}" for p in people for t in chosen]
    assert "Targets in the grid: 2 of 4" in text
    assert f'value="{chosen[0].id}" checked' in text

    saved = client.post(
        url,
        data={
            f"score_{people[0].id}_{chosen[0].id}": "3",
            "target": [str(t.id) for t in chosen],
        },
    )
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(
        f"/teach/quick-grid?target={chosen[0].id}&target={chosen[1].id}"
    )
    rows = db.session.scalars(select(Assessment)).all()
    assert [(a.enrollment_id, a.target_id, a.score) for a in rows] == [
        (people[0].id, chosen[0].id, 3)
    ]


def test_a_grid_past_the_field_limit_asks_for_the_targets_first(client, db_session, monkeypatch):
    monkeypatch.setattr(grid_views, "MAX_GRID_CELLS", 10)
    course, _, targets = _course(client, students=3, targets=4)  # 12 fields > 10
    url = f"/courses/{course.id}/teach/quick-grid"

    first = client.get(url).get_data(as_text=True)
    assert FIELD.findall(first) == []
    assert "would be 12 fields on one page: choose the targets to score" in first
    assert "<details open>" in first

    one = client.get(url, query_string={"target": str(targets[0].id)}).get_data(as_text=True)
    assert len(FIELD.findall(one)) == 3
    assert "choose the targets to score" not in one
