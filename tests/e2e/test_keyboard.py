"""A student's journey with the keyboard only: Tab to move, Enter to act, typing to fill."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import assert_accessible, tool_frame

pytestmark = pytest.mark.e2e

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el) { return ""; }
  return [el.tagName, el.getAttribute("aria-label") || "", (el.innerText || "").trim(),
          el.id || ""].join("|");
}"""


def focused(page: Any) -> str:
    """What has the keyboard focus, looking inside the tool's iframe when focus is there."""
    from playwright.sync_api import Error

    for _ in range(20):
        try:
            top = page.evaluate(FOCUSED)
            if top.startswith("IFRAME|"):
                return "tool:" + tool_frame(page).evaluate(FOCUSED)
            return "lms:" + top
        except Error:  # a page was still loading: ask again once it has
            page.wait_for_timeout(100)
    raise AssertionError("the page never settled")


def tab_to(page: Any, wanted: str, *, limit: int = 80) -> str:
    """Press Tab until the focused element's description contains `wanted`."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        seen.append(now)
        if wanted in now:
            return now
    raise AssertionError(f"Tab never reached {wanted!r}; went through {seen[-15:]}")


def test_student_journey_with_the_keyboard_only(live: Any, page: Any) -> None:
    page.goto(live.sandbox_url + "/")
    tab_to(page, "Launch as Emma Schultz (Student)")
    page.keyboard.press("Enter")
    frame = page.frame_locator("#tool-frame")
    expect(frame.get_by_text("Student view")).to_be_visible()

    # The first Tab into the tool reaches its skip link, and the skip link moves focus to main.
    tab_to(page, "tool:A||Skip to content")
    page.keyboard.press("Enter")
    assert tool_frame(page).evaluate("() => document.activeElement.id") == "main"

    tab_to(page, "tool:A||My profile")
    page.keyboard.press("Enter")
    expect(frame.get_by_role("heading", level=1)).to_have_text("My learning profile")
    tab_to(page, "|interests")
    page.keyboard.type("music, animals")
    tab_to(page, "Save profile")
    page.keyboard.press("Enter")
    expect(frame.locator(".flash").first).to_be_visible()
    expect(frame.get_by_label("My interests (separate with commas)")).to_have_value(
        "animals, music"
    )

    tab_to(page, "tool:A||Choice boards")
    page.keyboard.press("Enter")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Choice boards")
    tab_to(page, "tool:A||Cells choice board")
    page.keyboard.press("Enter")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Cells choice board")
    tab_to(page, "tool:BUTTON||Start")
    page.keyboard.press("Enter")
    expect(frame.get_by_text("In progress").first).to_be_visible()
    assert_accessible(tool_frame(page), "choice board after keyboard use")
