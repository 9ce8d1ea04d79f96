"""What a person sees, measured in the browser: words broken across lines, sideways scrolling.

Shared by the screen tests (helpers "ui" and "wall"): pass a Playwright Page or Frame.

- `broken_words(target, scope)`: every word of two letters or more inside a table (under `scope`)
  whose DOM Range has more than one line box ("Stu / de / nt").
- `page_scroll_width(target)`: the document's scroll width, to compare with the viewport's.
- `split_pills(target, scope)`: level pills and badges inside a table that take two lines or more.
- `assert_readable_tables` / `assert_no_sideways_scroll`: the same as assertions with a message.
"""

from __future__ import annotations

from typing import Any

#: For each text node inside a table, each run of letters/digits starting with a letter (two or
#: more characters) gets a Range; its client rects are grouped by line (rects whose vertical
#: middles are within 2 px are one line box). More than one line box = a word broken in the middle.
BROKEN_WORDS_JS = r"""(scope) => {
  const out = [];
  const tables = Array.from(document.querySelectorAll(scope));
  const word = /\p{L}[\p{L}\p{N}]+/gu;
  for (const table of tables) {
    const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      const hidden = ".visually-hidden, [hidden], template, script, style";
      if (!parent || parent.closest(hidden)) { continue; }
      const style = getComputedStyle(parent);
      if (style.display === "none" || style.visibility === "hidden") { continue; }
      for (const match of node.data.matchAll(word)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const middles = [];
        for (const rect of range.getClientRects()) {
          if (rect.width === 0 || rect.height === 0) { continue; }
          const middle = rect.top + rect.height / 2;
          if (!middles.some(m => Math.abs(m - middle) <= 2)) { middles.push(middle); }
        }
        if (middles.length > 1) {
          out.push({word: match[0], lines: middles.length,
                    cell: (parent.closest("td, th") || parent).textContent.trim().slice(0, 60)});
        }
      }
    }
  }
  return out;
}"""


def broken_words(target: Any, scope: str = "table") -> list[dict[str, Any]]:
    """Words (2+ letters) inside the tables matched by `scope` that span more than one line."""
    return list(target.evaluate(BROKEN_WORDS_JS, scope))


def page_scroll_width(target: Any) -> int:
    """How wide the document is (what would scroll sideways past the viewport)."""
    return int(target.evaluate("() => document.scrollingElement.scrollWidth"))


def viewport_width(target: Any) -> int:
    """The layout viewport's width of the page or frame."""
    return int(target.evaluate("() => document.documentElement.clientWidth"))


#: Each level pill or badge inside a table whose words take more than one line box
#: ("Near / Mastery" stacked in a narrow column): a label is read as one thing, on one line.
SPLIT_PILLS_JS = r"""(scope) => {
  const out = [];
  for (const pill of document.querySelectorAll(`${scope} span.level, ${scope} .badge`)) {
    if (pill.closest(".visually-hidden, [hidden]")) { continue; }
    const range = document.createRange();
    range.selectNodeContents(pill);
    const middles = [];
    for (const rect of range.getClientRects()) {
      if (rect.width === 0 || rect.height === 0) { continue; }
      const middle = rect.top + rect.height / 2;
      if (!middles.some(m => Math.abs(m - middle) <= 2)) { middles.push(middle); }
    }
    if (middles.length > 1) { out.push({label: pill.textContent.trim(), lines: middles.length}); }
  }
  return out;
}"""


def split_pills(target: Any, scope: str = "table") -> list[dict[str, Any]]:
    """Level pills and badges inside the tables matched by `scope` that take more than one line."""
    return list(target.evaluate(SPLIT_PILLS_JS, scope))


def assert_readable_tables(target: Any, where: str, scope: str = "table") -> None:
    """No word of two letters or more is broken across lines inside a table, and no level pill
    or badge there is split over lines."""
    broken = broken_words(target, scope)
    assert broken == [], f"{where}: words broken across lines in a table: {broken[:8]}"
    split = split_pills(target, scope)
    assert split == [], f"{where}: labels split over lines in a table: {split[:8]}"


#: The outermost elements that stick out past the right edge of the viewport (for the message).
OVERFLOWING_JS = """() => {
  const limit = document.documentElement.clientWidth + 1;
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const rect = el.getBoundingClientRect();
    const parent = el.parentElement;
    if (rect.right > limit && !(parent && parent.getBoundingClientRect().right > limit)) {
      const classes = typeof el.className === "string" ? el.className.trim() : "";
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
               (classes ? "." + classes.split(/ +/).join(".") : "") +
               " right=" + Math.round(rect.right));
    }
  }
  return out.slice(0, 5);
}"""


def assert_no_sideways_scroll(target: Any, where: str) -> None:
    """The page is no wider than its viewport (tables scroll inside their own box)."""
    width, viewport = page_scroll_width(target), viewport_width(target)
    assert width <= viewport + 1, (
        f"{where}: the page is {width}px wide in a {viewport}px viewport; "
        f"sticking out: {target.evaluate(OVERFLOWING_JS)}"
    )


#: Each table box in main that a person must scroll sideways to read: its caption, how wide the
#: table is against its box, and the cells that start or end outside the box (by column name).
#: A two-dimensional grid (students × targets, groups × time slots: `table.matrix`) scrolls in its
#: own box by design; every other table is read whole (on a phone its rows stack: .table.stacks).
HIDDEN_SIDEWAYS_JS = r"""() => Array.from(document.querySelectorAll("main .table-wrap"))
.filter(box => !box.querySelector("table.matrix"))
.map(box => {
  const edge = box.getBoundingClientRect();
  const table = box.querySelector("table");
  const heads = Array.from(table.querySelectorAll("thead th")).map(th => th.textContent.trim());
  const outside = [];
  for (const row of table.querySelectorAll("tbody tr")) {
    Array.from(row.children).forEach((cell, i) => {
      const r = cell.getBoundingClientRect();
      if (r.width && (r.right > edge.right + 1 || r.left < edge.left - 1)) {
        outside.push(heads[i] || String(i));
      }
    });
  }
  return {caption: (table.caption || {}).textContent || "", table: table.scrollWidth,
          box: box.clientWidth, outside: Array.from(new Set(outside))};
}).filter(t => t.table > t.box + 1 || t.outside.length)"""


def tables_read_sideways(target: Any) -> list[dict[str, Any]]:
    """The tables in main wider than their box: part of each row is out of sight."""
    return target.evaluate(HIDDEN_SIDEWAYS_JS)  # type: ignore[no-any-return]
