"""Station rotation in a browser: planned from mastery, projected, seen by the student.

The teacher plans a timed rotation on the Cells target (groups from current mastery, starting
now), moves Ana to group 2 with her select, and opens the projector view in its own window: the
current slot and the countdown show, and the station table fits a 1280 px classroom screen with
no sideways scroll at 360 or 800 px. Ana's home then says she is at the collaborative station
(group 2's station in slot 1) with that station's board activities.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    frame_at_widths,
    launch,
)

pytestmark = pytest.mark.e2e

TARGET = "I can describe the parts of a cell and what each part does."
STUDENT = "Ana Alvarez"
TEACHER = "Ms Rivera"
TITLE = "Cells rotation"


def teacher_plans(page: Any, sandbox_url: str) -> Any:
    frame = launch(page, sandbox_url, TEACHER)
    frame.get_by_role("link", name="Stations").first.click()
    frame.get_by_role("link", name="Plan a timed rotation").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Plan a station rotation")
    frame.get_by_label("Today's target").select_option(label=TARGET)
    frame.get_by_label("Minutes at each station").fill("15")
    frame.get_by_label("Title").fill(TITLE)
    frame.get_by_role("button", name="Plan rotation from mastery").click()
    expect(frame.locator(".flash").first).to_contain_text("planned from current mastery")
    expect(frame.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(frame.locator(".rotation-schedule tr.current-slot")).to_contain_text("now")
    frame.get_by_label(f"Group for {STUDENT}").select_option(label="Group 2")
    frame.get_by_role("button", name="Save groups").click()
    expect(frame.locator(".flash").first).to_contain_text("Groups saved")
    expect(frame.get_by_label(f"Group for {STUDENT}")).to_have_value("2")
    frame_at_widths(page, "rotation-planner", height=1400)
    return frame


def projector_view(context: Any, frame: Any) -> None:
    with context.expect_page() as opened:
        frame.get_by_role("link", name=re.compile("^Open the projector view")).click()
    screen = opened.value
    screen.set_viewport_size({"width": 1280, "height": 800})
    expect(screen.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(screen.locator("#current-slot")).to_have_text("Slot 1 of 3")
    expect(screen.locator("[data-countdown]")).to_have_text(
        re.compile(r"^Next rotation in 1?\d:\d\d$")
    )
    row = screen.locator("#projector-table tr").filter(has_text="Collaborative")
    expect(row.locator(".group-name")).to_have_text("Group 2")
    expect(row).to_contain_text(STUDENT)
    assert_accessible(screen, "projector")
    box = screen.locator("#projector-table").bounding_box()
    assert box["x"] >= 0, box
    assert box["y"] >= 0, box
    assert box["x"] + box["width"] <= 1280, box
    assert box["y"] + box["height"] <= 800, f"the station table runs below a 1280x800 screen: {box}"
    screen.screenshot(path=str(SCREENSHOTS / "rotation-projector-1280.png"))
    for width in (360, 800):
        screen.set_viewport_size({"width": width, "height": 800})
        assert_no_horizontal_scroll(screen, width, f"projector at {width} px")
        screen.screenshot(path=str(SCREENSHOTS / f"rotation-projector-{width}.png"), full_page=True)
    screen.close()


def student_where_now(page: Any, sandbox_url: str) -> None:
    frame = launch(page, sandbox_url, STUDENT)
    card = frame.locator("#where-now")
    expect(card.get_by_role("heading", name="Where am I now")).to_be_visible()
    expect(card.locator(".station-now")).to_have_text("Collaborative station")
    expect(card).to_contain_text("Label a cell diagram")  # a collaborative activity on the board
    expect(card).to_contain_text("Next: Independent station.")
    expect(card.locator("[data-countdown]")).to_have_text(re.compile(r"in 1?\d:\d\d$"))
    frame_at_widths(page, "student-where-now", height=1400)


def teacher_ends(page: Any, sandbox_url: str) -> None:
    """End the rotation (later journeys in this package see a student home without it)."""
    frame = launch(page, sandbox_url, TEACHER)
    frame.get_by_role("link", name="Stations").first.click()
    frame.get_by_role("link", name="Plan a timed rotation").click()
    frame.get_by_role("link", name=TITLE).click()
    frame.get_by_role("button", name="End the rotation now").click()
    expect(frame.locator(".flash").first).to_contain_text("Rotation ended")


def test_rotation_planned_from_mastery_projected_and_seen_by_the_student(live: Any, browser: Any):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        frame = teacher_plans(page, live.sandbox_url)
        projector_view(context, frame)
        student_where_now(page, live.sandbox_url)
        teacher_ends(page, live.sandbox_url)
    finally:
        context.close()
