"""The level over time: the mastery engine's result after each assessment, and its chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lti_pl.domain.targets import DEFAULT_SCALE
from lti_pl.models.evidence import Assessment
from lti_pl.services.level_history import level_chart, level_history

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def scores(*values: float, step: timedelta = timedelta(days=1)) -> list[Assessment]:
    return [Assessment(id=i + 1, score=v, assessed_at=T0 + step * i) for i, v in enumerate(values)]


def test_with_days_only_the_steps_standing_at_the_end_of_each_day_are_replayed():
    # Two assessments on day 0, none on day 1, one on day 2, one on day 5.
    history = scores(1, 2, 4, 3, step=timedelta(hours=20))
    history[1] = Assessment(id=2, score=2, assessed_at=T0 + timedelta(hours=2))
    history[3] = Assessment(id=4, score=3, assessed_at=T0 + timedelta(days=5))
    every = level_history(history, DEFAULT_SCALE, "decaying_average", {})
    day = T0.date()
    shown = [day, day + timedelta(days=1), day + timedelta(days=5)]
    kept = level_history(history, DEFAULT_SCALE, "decaying_average", {}, days=shown)
    # Day 0 ends on the second step; day 1 on the same one (nothing new); day 5 on the last.
    assert kept == (every[1], every[3])
    assert level_history(history, DEFAULT_SCALE, "latest", {}, days=[day - timedelta(days=1)]) == ()


def test_the_level_after_two_then_three_is_the_decaying_average_not_the_last_score():
    steps = level_history(scores(2, 3), DEFAULT_SCALE, "decaying_average", {})
    assert [(s.score, s.value, s.label) for s in steps] == [
        (2, 2, "Near Mastery"),
        (3, pytest.approx(2.65), "Near Mastery"),
    ]
    chart = level_chart(steps, DEFAULT_SCALE, "I can x")
    by_points = {g.points: g.y for g in chart.gridlines}
    last = chart.points[-1]
    assert last.y == pytest.approx(by_points[3] + 0.35 * (by_points[2] - by_points[3]))
    assert chart.mastery_y == by_points[3]
    # The level names sit left of the plot: no point or line enters the gutter.
    assert min(p.x for p in chart.points) >= chart.plot_left


def test_bkt_plots_the_level_reached_on_the_scale_not_a_probability():
    steps = level_history(scores(4, 4, 4), DEFAULT_SCALE, "bkt", {})
    assert all(s.value in {lv.points for lv in DEFAULT_SCALE.levels} for s in steps)
    assert steps[-1].mastered


def test_two_assessments_on_one_day_get_distinct_date_labels_with_the_time():
    steps = level_history(scores(1, 2, step=timedelta(hours=3)), DEFAULT_SCALE, "latest", {})
    chart = level_chart(steps, DEFAULT_SCALE, "I can x")
    first, last = (d.text for d in chart.dates)
    assert first != last
    assert (first, last) == ("02 Mar 2026 09:00 UTC", "02 Mar 2026 12:00 UTC")
    apart = level_chart(level_history(scores(1, 2), DEFAULT_SCALE, "latest", {}), DEFAULT_SCALE, "")
    assert [d.text for d in apart.dates] == ["02 Mar 2026", "03 Mar 2026"]
