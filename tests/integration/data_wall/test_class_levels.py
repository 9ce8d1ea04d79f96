"""The class's level over time: per target, the median of the students' levels, by day."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.support.builders import T0, make_target
from tests.support.choice_builders import assess, course, enrollment_of, launch


def test_each_target_charts_the_class_median_by_day(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    for user_id in ("ana", "ben", "cy"):
        launch(platform, app.test_client(), "Learner", user_id)
    cells = make_target(course(course_id), "I can label a cell")
    make_target(course(course_id), "I can name the organelles")  # nobody assessed yet
    # Day 0: ana 1, ben 2 -> median 1.5; day 1: cy 4 -> median of 1, 2, 4 = 2; day 2: ana 4 ->
    # ana's level (decaying average of 1 then 4) with ben 2 and cy 4.
    assess(enrollment_of(course_id, "ana"), cells, 1)
    assess(enrollment_of(course_id, "ben"), cells, 2)
    assess(enrollment_of(course_id, "cy"), cells, 4, start=T0 + timedelta(days=1))
    record = assess(enrollment_of(course_id, "ana"), cells, 4, start=T0 + timedelta(days=2))

    page = client.get(f"/courses/{course_id}/teach/class-levels")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    chart = html.split('id="class-chart-', 1)[1].split("</figure>", 1)[0]
    values = [float(v) for v in re.findall(r'<circle[^>]*data-value="([\d.]+)"', chart)]
    ana_now = record.score
    assert ana_now is not None
    assert values == [1.5, 2.0, sorted([ana_now, 2.0, 4.0])[1]]
    assert 'class="mastery-line"' in chart
    assert "Class median now:" in chart
    assert "3 of 3 students assessed" in html
    assert "No assessed evidence yet." in html  # the target nobody was assessed on
    wall = client.get(f"/courses/{course_id}/teach/data-wall").get_data(as_text=True)
    assert f"/courses/{course_id}/teach/class-levels" in wall


def test_the_class_chart_is_for_the_courses_teachers(app, client, platform, db_session):
    course_id = launch(platform, client, "Instructor", "teacher-1")
    student = app.test_client()
    launch(platform, student, "Learner", "ana")
    assert student.get(f"/courses/{course_id}/teach/class-levels").status_code == 403


def test_the_class_chart_readies_the_method_once_not_per_step(
    app, client, platform, db_session, monkeypatch
):
    """A term (300 students × 40 targets × 4 assessments) readied the method 48,000 times: 4.9 s."""
    import lti_pl.domain.mastery as mastery

    course_id = launch(platform, client, "Instructor", "teacher-1")
    names = [f"s{n}" for n in range(6)]
    for user_id in names:
        launch(platform, app.test_client(), "Learner", user_id)
    targets = [make_target(course(course_id), f"I can do part {n}") for n in range(2)]
    for n, user_id in enumerate(names):
        for target in targets:
            for day in range(3):
                assess(
                    enrollment_of(course_id, user_id),
                    target,
                    (n + day) % 5,
                    start=T0 + timedelta(days=day),
                )
    readied = []
    looked_up = mastery.calculation_method
    monkeypatch.setattr(
        mastery, "calculation_method", lambda name: readied.append(name) or looked_up(name)
    )

    page = client.get(f"/courses/{course_id}/teach/class-levels")

    assert page.status_code == 200
    assert "6 of 6 students assessed" in page.get_data(as_text=True)
    assert len(readied) <= 1  # once per method and scale (and process), not per student's step
