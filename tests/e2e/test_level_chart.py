"""The binder's "Mastery over time" chart, as drawn: its last point sits at the current level.

The current level is the student's mastery record (what the engine concluded and the page's text
states), not the latest raw score. The point's height is compared with the chart's own axis:
each gridline is named by a level of the scale, and the value is placed between them linearly.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import Assessment, MasteryRecord
from lti_pl.services.wall_cells import scale_of
from tests.e2e.geometry import assert_no_sideways_scroll
from tests.e2e.support import assert_accessible, launch, screenshot, tool_frame

pytestmark = pytest.mark.e2e

CHARTS = """() => Array.from(document.querySelectorAll("svg.chart")).map(svg => {
  const axis = Array.from(svg.querySelectorAll("line.grid")).map(line => {
    const label = line.nextElementSibling;
    return [label ? label.textContent.trim() : "", parseFloat(line.getAttribute("y1"))];
  });
  const dots = Array.from(svg.querySelectorAll("circle"));
  const last = dots[dots.length - 1];
  const section = svg.closest("section");
  const dates = Array.from(svg.querySelectorAll("text")).map(t => t.textContent.trim())
    .filter(t => /\\d{4}/.test(t));
  const labels = Array.from(svg.querySelectorAll("line.grid"))
    .map(line => line.nextElementSibling).filter(t => t && t.tagName === "text")
    .map(t => t.getBoundingClientRect());
  const path = svg.querySelector("polyline");
  return {heading: section ? section.querySelector("h2").textContent.trim() : "",
          axis, dates, count: dots.length,
          last: last ? parseFloat(last.getAttribute("cy")) : null,
          mastery: svg.querySelector(".mastery-line, line.mastery") !== null,
          lineLeft: path ? path.getBoundingClientRect().left : null,
          labelsRight: Math.max(...labels.map(r => r.right)),
          labelsLeft: Math.min(...labels.map(r => r.left)),
          svgLeft: svg.getBoundingClientRect().left};
})"""


def a_student_whose_level_is_not_the_last_score(app: Any) -> tuple[str, str, float]:
    """(name, target statement, record score) of a seeded student with 2+ assessments."""
    with app.app_context():
        for record in db.session.scalars(select(MasteryRecord).order_by(MasteryRecord.id)):
            scores = db.session.scalars(
                select(Assessment.score)
                .where(
                    Assessment.enrollment_id == record.enrollment_id,
                    Assessment.target_id == record.target_id,
                )
                .order_by(Assessment.assessed_at, Assessment.id)
            ).all()
            if len(scores) >= 2 and record.score is not None and record.score != scores[-1]:
                return record.enrollment.person.display_name, record.target.statement, record.score
    raise AssertionError("the demo course has no student whose level differs from the last score")


def axis_y(app: Any, axis: list[list[Any]], value: float) -> float:
    """Where `value` lies on the chart's own axis (gridlines named by the scale's levels)."""
    with app.app_context():
        from lti_pl.models.courses import Course

        scale = scale_of(db.session.scalars(select(Course)).first())
    points = {level.label: level.points for level in scale.levels}
    marks = sorted((points[label], y) for label, y in axis if label in points)
    assert len(marks) >= 2, f"the chart's axis names no levels: {axis}"
    for (low, y_low), (high, y_high) in itertools.pairwise(marks):
        if low <= value <= high:
            return y_low + (value - low) / (high - low) * (y_high - y_low)
    raise AssertionError(f"{value} is off the chart's axis {marks}")


@pytest.mark.parametrize("width", [360, 800, 1280])
def test_the_last_point_of_the_chart_sits_at_the_current_level(
    browser: Any, live: Any, width: int
) -> None:
    name, statement, level = a_student_whose_level_is_not_the_last_score(live.app)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    launch(page, live.sandbox_url, name)
    page.goto(tool_frame(page).url.split("/learn/")[0] + "/learn/binder")
    page.set_viewport_size({"width": width, "height": 900})
    charts = {c["heading"]: c for c in page.evaluate(CHARTS)}
    chart = charts[statement]
    assert chart["count"] >= 2
    assert chart["last"] == pytest.approx(axis_y(live.app, chart["axis"], level), abs=1.0), (
        f"the last point is at y={chart['last']}, the level {level} is at "
        f"y={axis_y(live.app, chart['axis'], level):.1f}"
    )
    assert chart["mastery"], "no mastery threshold line"
    assert len(set(chart["dates"])) == len(chart["dates"]) == 2, chart["dates"]
    assert chart["lineLeft"] >= chart["labelsRight"], "the line runs over the level names"
    # Every level name is drawn whole, inside the chart (a long name must not be cut at the edge).
    assert chart["labelsLeft"] >= chart["svgLeft"], "a level name is cut off at the chart's edge"
    assert_no_sideways_scroll(page, f"binder at {width}px")
    if width == 360:
        assert_accessible(page, "binder at 360px")
    context.close()


CLASS_CHARTS = """() => Array.from(document.querySelectorAll("svg.chart")).map(svg => {
  const axis = Array.from(svg.querySelectorAll("line.grid")).map(line => {
    const label = line.nextElementSibling;
    return [label ? label.textContent.trim() : "", parseFloat(line.getAttribute("y1"))];
  });
  const dots = Array.from(svg.querySelectorAll("circle"));
  const figure = svg.closest("figure");
  const stated = figure.querySelector(".chart-now-value");
  const box = svg.getBoundingClientRect();
  return {heading: svg.closest("section").querySelector("h2").textContent.trim(), axis,
          count: dots.length,
          last: dots.length ? parseFloat(dots[dots.length - 1].getAttribute("cy")) : null,
          stated: stated ? parseFloat(stated.textContent) : null,
          now: figure.querySelector(".chart-now").textContent.trim(),
          mastery: svg.querySelector(".mastery-line") !== null,
          right: box.right,
          // The SVG is scaled to its box: a label's drawn size is its font size times the scale.
          fontPx: parseFloat(getComputedStyle(svg.querySelector("text")).fontSize)
            * box.width / svg.viewBox.baseVal.width};
})"""


def test_the_class_charts_end_at_the_class_median_they_state(browser: Any, live: Any) -> None:
    """Per target, the class chart's last point sits at the median its text states."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    launch(page, live.sandbox_url, "Ms Rivera")
    page.goto(tool_frame(page).url.split("/teach")[0] + "/teach/class-levels")
    for width in (360, 800, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        charts = page.evaluate(CLASS_CHARTS)
        assert len(charts) >= 2, charts  # one per assessed target
        for chart in charts:
            where = f"{chart['heading']} at {width}px"
            assert chart["count"] >= 2, where
            assert chart["now"].startswith("Class median now:"), chart["now"]
            assert chart["last"] == pytest.approx(
                axis_y(live.app, chart["axis"], chart["stated"]), abs=1.0
            ), f"{where}: the last point is not at the stated median {chart['stated']}"
            assert chart["mastery"], f"{where}: no mastery line"
            assert chart["right"] <= width, f"{where}: the chart runs off the screen"
            # Readable on a phone: the level names are drawn at 9 px or more.
            assert chart["fontPx"] >= 9, f"{where}: labels drawn at {chart['fontPx']:.1f}px"
        assert_no_sideways_scroll(page, f"class levels at {width}px")
        screenshot(page, f"class-level-chart-{width}", full_page=True)
    assert_accessible(page, "class levels at 1280px")
    context.close()
