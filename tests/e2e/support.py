"""What every browser journey checks on the pages it reaches: axe, width, screenshots."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import AXE, SCREENSHOTS

SERIOUS = ("serious", "critical")
_AXE_SOURCE: str | None = None

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    iframes: false,
    resultTypes: ["violations"],
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}
  });
  return result.violations
    .filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5)
                  .map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
}"""


def axe_source() -> str:
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE.read_text(encoding="utf-8")
    return _AXE_SOURCE


def tool_frame(page: Any) -> Any:
    """The tool's iframe inside the sandbox's launch page (a Frame, for evaluate)."""
    frame = page.frame(name="tool_frame")
    assert frame is not None, "the launch page has no tool iframe"
    return frame


def assert_accessible(target: Any, where: str) -> None:
    """axe-core on the page or frame: no serious or critical violation.

    The script goes in through the DevTools protocol (evaluate), not a <script> tag: the tool's
    CSP (script-src 'self') stays on, as a person's browser has it.
    """
    if not target.evaluate("() => typeof window.axe !== 'undefined'"):
        target.evaluate(axe_source() + "\n;undefined")
    violations = target.evaluate(AXE_RUN)
    assert violations == [], f"{where}: accessibility violations: {violations}"


def assert_no_horizontal_scroll(target: Any, width: int, where: str) -> None:
    """The document is no wider than the viewport (1 px of rounding allowed)."""
    scroll_width = target.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= width + 1, f"{where}: {scroll_width}px wide at a {width}px viewport"


WIDTHS = (360, 800, 1280)  # a phone, an LMS course page's iframe, a laptop


def frame_at_widths(page: Any, name: str, *, focus: str | None = None, height: int = 1500) -> None:
    """axe, no sideways scroll and a screenshot of the tool frame at each of WIDTHS.

    The LMS's iframe is resized in place, so the page is the one the journey reached; `focus`
    (a CSS selector) is scrolled to the top of the frame before each screenshot.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    frame = tool_frame(page)
    assert_accessible(frame, name)
    for width in WIDTHS:
        page.evaluate(
            "([w, h]) => { const f = document.getElementById('tool-frame');"
            " f.style.width = w + 'px'; f.style.maxWidth = 'none'; f.style.height = h + 'px'; }",
            [width, height],
        )
        page.wait_for_function(
            "(w) => document.getElementById('tool-frame').getBoundingClientRect().width === w",
            arg=width,
        )
        assert_no_horizontal_scroll(frame, width, f"{name} at {width} px")
        if focus:
            frame.evaluate(
                "(s) => document.querySelector(s).scrollIntoView({block: 'start'})", focus
            )
        page.locator("#tool-frame").screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
    page.evaluate("() => { document.getElementById('tool-frame').style = ''; }")


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot to artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def launch(
    page: Any,
    sandbox_url: str,
    person: str,
    *,
    activity: str | None = None,
    course: str | None = None,
) -> Any:
    """Open the sandbox course page, press "Launch as <person>"; returns the tool frame locator.

    `course` (a course's title) switches to another sandbox course first.
    """
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.on("pageerror", lambda e: messages.append(str(e)))
    page.goto(sandbox_url + "/")
    if course is not None:
        page.get_by_role("navigation", name="Courses").get_by_role("link", name=course).click()
        page.get_by_role("heading", level=1, name=course).wait_for()
    if activity is not None:
        page.get_by_label("Open activity").select_option(label=activity)
    page.get_by_role("button", name=re.compile(rf"^Launch as {re.escape(person)} ")).click()
    frame = page.frame_locator("#tool-frame")
    try:
        frame.locator("h1").first.wait_for()
    except Exception as error:
        inner = page.frame(name="tool_frame")
        url = inner.url if inner else "?"
        text = inner.locator("body").inner_text()[:500] if inner else ""
        raise AssertionError(
            f"the launch did not open a tool page: {url}: {text!r} console: {messages}"
        ) from error
    inner = page.frame(name="tool_frame")
    if inner is not None:
        # The launch answers with the page itself, which then names its own GET URL
        # (history.replaceState): wait for that, so callers can build URLs from the frame's URL.
        # A refused launch stays on /lti/launch, so a timeout here is not an error.
        with contextlib.suppress(Exception):
            inner.wait_for_function(
                "() => !location.pathname.startsWith('/lti/launch')", timeout=3000
            )
    return frame


def gradebook_row(
    page: Any,
    sandbox_url: str,
    column: str,
    student: str,
    failure: Callable[[], str],
    showing: str | None = None,
) -> Any:
    """The student's row under `column` in the sandbox gradebook, once there (and `showing` that
    text): reloaded every half second, as a person would; after 30 s fails with `failure()`."""
    deadline = time.monotonic() + 30
    row = (
        page.locator("section.line-item")
        .filter(has_text=column)
        .locator("tr")
        .filter(has_text=student)
    )
    while True:
        page.goto(sandbox_url + "/gradebook")
        if row.count() and (showing is None or showing in row.inner_text()):
            return row
        assert time.monotonic() < deadline, failure()
        page.wait_for_timeout(500)
