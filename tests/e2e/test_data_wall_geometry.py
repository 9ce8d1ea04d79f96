"""The data wall as a teacher sees it, at a phone, an LMS iframe and a laptop width.

What is asserted is what the browser draws: each cell under its own column header, no word split
across lines inside the table, no sideways scroll of the page, the first column and the header
row in view while the wall scrolls, a summary row per target, and axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import assert_accessible, launch, screenshot, tool_frame

pytestmark = pytest.mark.e2e

WIDTHS = [360, 800, 1280]
TEACHER = "Ms Rivera"

# For each body row: the cells whose box is not inside the header of the same column index.
MISPLACED = """() => {
  const table = document.querySelector("table.wall");
  const heads = [...[...table.tHead.rows].find(r => r.querySelector("th[scope=col]")).cells];
  const bad = [];
  let rows = 0;
  for (const row of table.tBodies[0].rows) {
    const cells = [...row.cells];
    if (cells.length === 1 && cells[0].colSpan > 1) { continue; }  // "No students match."
    rows += 1;
    if (cells.length !== heads.length) {
      bad.push(`row ${row.rowIndex}: ${cells.length} cells for ${heads.length} headers`);
      continue;
    }
    cells.forEach((cell, i) => {
      const c = cell.getBoundingClientRect();
      const h = heads[i].getBoundingClientRect();
      if (c.left < h.left - 1 || c.right > h.right + 1) {
        bad.push(`row ${row.rowIndex} col ${i}: cell ${Math.round(c.left)}-${Math.round(c.right)}`
                 + ` under header ${Math.round(h.left)}-${Math.round(h.right)}`
                 + ` (${cell.innerText.trim().slice(0, 30)})`);
      }
    });
  }
  return {rows, bad: bad.slice(0, 10)};
}"""

# Words of two letters or more inside the table drawn on more than one line box.
BROKEN_WORDS = """() => {
  const table = document.querySelector("table.wall");
  const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
  const broken = [];
  let words = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const box = node.parentElement.getBoundingClientRect();
    if (box.width <= 2 || box.height <= 2) { continue; }  // visually hidden text
    for (const match of node.data.matchAll(/[\\p{L}\\p{N}]{2,}/gu)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                            .map(r => Math.round(r.top)));
      words += 1;
      if (lines.size > 1) { broken.push(match[0]); }
    }
  }
  return {words, broken: [...new Set(broken)].slice(0, 15)};
}"""


@pytest.fixture(scope="module")
def teacher(live: Any, browser: Any) -> Iterator[tuple[Any, str]]:
    """The demo teacher's browser (its session cookie) and the data wall's URL."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        frame = launch(page, live.sandbox_url, TEACHER)
        frame.get_by_role("link", name="Data wall").first.click()
        expect(frame.get_by_role("heading", level=1)).to_have_text("Data wall")
        yield context, str(tool_frame(page).url)
    finally:
        context.close()


@contextmanager
def open_wall(teacher: tuple[Any, str], width: int) -> Iterator[Any]:
    """The wall opened on its own (as in a phone's LMS app, or a wide LMS frame) at `width`."""
    context, url = teacher
    page = context.new_page()
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text("Data wall")
        yield page
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_cell_lies_under_its_own_header(teacher: Any, width: int) -> None:
    with open_wall(teacher, width) as page:
        screenshot(page, f"data-wall-{width}px", full_page=True)
        result = page.evaluate(MISPLACED)
        assert result["rows"] >= 5, result
        assert result["bad"] == [], f"at {width}px: {result['bad']}"


@pytest.mark.parametrize("width", WIDTHS)
def test_no_word_is_broken_and_the_page_never_scrolls_sideways(teacher: Any, width: int) -> None:
    with open_wall(teacher, width) as page:
        result = page.evaluate(BROKEN_WORDS)
        assert result["words"] > 50, result
        assert result["broken"] == [], f"at {width}px words drawn on two lines: {result['broken']}"
        scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert scroll_width <= width, f"the page is {scroll_width}px wide at {width}px"
        # The wall scrolls inside its own box instead.
        box = page.evaluate(
            """() => { const t = document.querySelector("table.wall");
                       const w = t.parentElement; return [w.clientWidth, w.scrollWidth,
                       getComputedStyle(w).overflowX]; }"""
        )
        assert box[0] <= width, box
        assert box[2] in ("auto", "scroll"), box


@pytest.mark.parametrize("width", WIDTHS)
def test_first_column_and_header_stay_in_view_while_the_wall_scrolls(
    teacher: Any, width: int
) -> None:
    with open_wall(teacher, width) as page:
        where = """() => { const t = document.querySelector("table.wall");
          const name = t.tBodies[0].rows[t.tBodies[0].rows.length - 1]
                        .querySelector("th[scope=row]").getBoundingClientRect();
          const head = t.tHead.rows[0].cells[1].getBoundingClientRect();
          const box = t.parentElement.getBoundingClientRect();
          return {nameLeft: name.left - box.left, headTop: head.top - box.top}; }"""
        before = page.evaluate(where)
        page.evaluate(
            """() => { const w = document.querySelector("table.wall").parentElement;
                       w.scrollLeft = w.scrollWidth; w.scrollTop = w.scrollHeight; }"""
        )
        page.wait_for_timeout(50)
        scrolled = page.evaluate(
            """() => { const w = document.querySelector("table.wall").parentElement;
                       return [w.scrollLeft, w.scrollTop]; }"""
        )
        after = page.evaluate(where)
        assert scrolled[1] > 0, scrolled  # 25 students: taller than the wall's box
        assert scrolled[0] > 0 or width >= 1280, scrolled  # wider than a phone or a frame
        # The student column has not moved; the header row sits at the top edge of the box.
        assert abs(after["nameLeft"] - before["nameLeft"]) <= 1, (before, after)
        assert -1 <= after["headTop"] <= 2, (before, after)
        # The summary row stays in view too, right under the header row.
        summary = page.evaluate(
            """() => { const t = document.querySelector("table.wall");
              // Cells, not rows: a row's box stays where the flow put it, a sticky cell moves.
              const head = t.tHead.rows[0].cells[1].getBoundingClientRect();
              const sum = t.querySelector("tr.wall-summary").cells[1].getBoundingClientRect();
              const box = t.parentElement.getBoundingClientRect();
              return {gap: sum.top - head.bottom, top: sum.top - box.top,
                      bottom: sum.bottom, boxBottom: box.bottom}; }"""
        )
        assert abs(summary["gap"]) <= 2, summary
        assert summary["top"] >= 0, summary
        assert summary["bottom"] < summary["boxBottom"], summary


@pytest.mark.parametrize("width", [360, 800])
def test_readable_at_a_phone_width_with_a_summary_per_target(teacher: Any, width: int) -> None:
    with open_wall(teacher, width) as page:
        table = page.locator("table.wall")
        # The student's name and at least one whole target column fit on the first screen.
        first = page.evaluate(
            """() => { const t = document.querySelector("table.wall");
              const row = t.tBodies[0].querySelector("tr:not(.wall-summary)");
              const name = row.querySelector("th[scope=row]").getBoundingClientRect();
              const cell = row.cells[[...row.cells].indexOf(row.querySelector("th[scope=row]")) + 1]
                             .getBoundingClientRect();
              const size = parseFloat(getComputedStyle(row.cells[row.cells.length - 1]).fontSize);
              return {nameRight: name.right, cellRight: cell.right, size}; }"""
        )
        assert first["cellRight"] <= width, first
        assert first["size"] >= 12, first
        # A summary per target, counts in words beside the bar.
        summary = table.locator("tr.wall-summary")
        expect(summary).to_have_count(1)
        text = summary.inner_text()
        assert re.search(r"\d+ mastered", text, re.I), text
        assert re.search(r"\d+ not assessed", text, re.I), text
        assert_accessible(page, f"data wall at {width}px")


def test_axe_finds_nothing_serious_on_the_wall_at_1280(teacher: Any) -> None:
    with open_wall(teacher, 1280) as page:
        assert_accessible(page, "data wall at 1280px")


@pytest.mark.parametrize("width", [800, 1280])
def test_the_wall_uses_the_width_and_the_structure_dial_is_on_the_first_screen(
    teacher: Any, width: int
) -> None:
    with open_wall(teacher, width) as page:
        box = page.evaluate(
            """() => { const w = document.querySelector("table.wall").parentElement;
              const dial = document.getElementById("structure").getBoundingClientRect();
              return {wrap: w.getBoundingClientRect().width, dialTop: dial.top,
                      dialBottom: dial.bottom, wallTop: w.getBoundingClientRect().top,
                      height: window.innerHeight}; }"""
        )
        # A laptop screen is not capped at the reading width of text pages (64rem = 1024 px).
        assert box["wrap"] >= width - 64, box
        # The structure dial is found without scrolling past 25 rows: above the wall, on screen.
        assert box["dialBottom"] <= box["height"], box
        assert box["dialTop"] < box["wallTop"], box
