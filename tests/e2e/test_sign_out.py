"""The way out: a Sign out button in the top bar at every width, and what it leads to."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import assert_accessible, assert_no_horizontal_scroll, launch, screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [360, 800, 1280])
def test_sign_out_sits_in_the_top_bar_on_one_line_and_ends_the_session(
    live: Any, page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    frame = launch(page, live.sandbox_url, "Ben Okafor")
    button = frame.get_by_role("button", name="Sign out")
    expect(button).to_be_visible()
    box = button.bounding_box()
    bar = frame.locator("header.topbar").bounding_box()
    assert box is not None
    assert bar is not None
    assert box["height"] < 40  # "Sign out" on one line
    assert bar["y"] <= box["y"]
    assert box["y"] + box["height"] <= bar["y"] + bar["height"]
    inner = page.frame(name="tool_frame")
    assert_no_horizontal_scroll(inner, int(inner.evaluate("() => window.innerWidth")), "home")
    screenshot(page, f"sign-out-{width}")
    button.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("You are signed out")
    expect(frame.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page.frame(name="tool_frame"), "signed out")
