"""Every teacher and student page, as drawn at 360, 800 and 1280 px: words whole, no sideways page.

Each person launches from the sandbox LMS once; then the tool's pages are opened as a top-level
page (127.0.0.1 is one site, the session cookie comes along) and visited one route at a time:
the crawl follows the course menu and the links on each page, one URL per route pattern.
The data wall has its own geometry test (test_data_wall_geometry.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from lti_pl.extensions import db
from lti_pl.models.courses import Course
from lti_pl.services import job_progress
from tests.e2e.geometry import (
    assert_no_sideways_scroll,
    assert_readable_tables,
    split_pills,
    tables_read_sideways,
)
from tests.e2e.support import assert_accessible, launch, screenshot, tool_frame

pytestmark = pytest.mark.e2e

WIDTHS = (360, 800, 1280)
SKIP = re.compile(r"\.csv$|/file$|/data-wall|/lti/|/static/")
MENU = """() => {
  const nav = document.querySelector('nav[aria-label="Course menu"]');
  if (!nav) { return null; }
  const links = Array.from(nav.querySelectorAll("a"));
  return {labels: links.map(a => a.textContent.trim()),
          current: links.filter(a => a.hasAttribute("aria-current")).map(a => a.textContent.trim()),
          navs: document.querySelectorAll("nav").length};
}"""
LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => a.target !== '_blank').map(a => a.href)"""


def route(url: str) -> str:
    """The route pattern of a URL: ids become N, the query is dropped."""
    return re.sub(r"/\d+", "/N", urlsplit(url).path)


def crawl(page: Any, start: str, limit: int = 60) -> list[str]:
    """Same-site course pages reachable by GET links from `start`, one per route pattern."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start))
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if route(url) in seen:
            continue
        response = page.goto(url)
        if (
            response is None
            or response.status != 200
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        seen[route(url)] = url
        for href in page.evaluate(LINKS):
            path = urlsplit(href).path
            wanted = href.startswith(origin + "/courses/") and not SKIP.search(path)
            if wanted and route(href) not in seen:
                queue.append(href.split("#")[0])
    return list(seen.values())


def pages_of(browser: Any, live: Any, person: str, **options: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    launch(page, live.sandbox_url, person)
    start = tool_frame(page).url
    return page, crawl(page, start)


@pytest.mark.parametrize("person", ["Ms Rivera", "Ben Okafor", "Luis Alvarez"])
def test_every_page_keeps_words_whole_and_never_scrolls_sideways(
    browser: Any, live: Any, person: str
) -> None:
    page, urls = pages_of(browser, live, person)
    # A parent sees the observer pages: the children and each child's data binder.
    assert len(urls) >= (3 if person == "Luis Alvarez" else 6), f"too few pages reached: {urls}"
    if person == "Ms Rivera":  # the student-view previews are among the teacher's pages
        assert {"/courses/N/teach/boards/N/preview", "/courses/N/teach/targets/N/preview"} <= {
            route(u) for u in urls
        }, sorted(route(u) for u in urls)
    print(f"{person}: {len(urls)} routes: {sorted(route(u) for u in urls)}")
    problems = []
    menus: dict[str, list[str]] = {}  # the course menu's links -> the routes that show it
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in urls:
            page.goto(url)
            where = f"{person} {route(url)} at {width}px"
            for check in (assert_readable_tables, assert_no_sideways_scroll):
                try:
                    check(page, where)
                except AssertionError as error:
                    problems.append(str(error))
            if hidden := tables_read_sideways(page):
                problems.append(f"{where}: tables to scroll sideways to read: {hidden}")
            if width == 800:
                try:
                    assert_accessible(page, where)
                except AssertionError as error:
                    problems.append(str(error)[:600])
                menu = page.evaluate(MENU)
                menus.setdefault(str(menu and menu["labels"]), []).append(route(url))
                if not menu or len(menu["current"]) != 1 or menu["navs"] != 1:
                    problems.append(f"{where}: one menu with one current page, not {menu}")
    page.context.close()
    assert len(menus) == 1, f"the course menu differs between pages: {menus}"
    assert problems == [], "\n".join(problems)


def test_screens_for_people_to_look_at(browser: Any, live: Any) -> None:
    """Screenshots of the pages this area changed, at three widths (artifacts/screenshots)."""
    for person, paths in (
        (
            "Ms Rivera",
            (
                "/teach/targets",
                "/teach/boards/N/recommendations",
                "/teach/boards/N/preview",
                "/teach/targets/N/preview",
                "/teach/roster",
            ),
        ),
        ("Ben Okafor", ("/learn/binder", "/learn/targets/N", "/learn/boards/N")),
    ):
        page, urls = pages_of(browser, live, person)
        for path in paths:
            url = next(u for u in urls if route(u).endswith(path))
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(url)
                name = path.strip("/").replace("/N", "")
                shot = screenshot(page, f"{person}-{name}-{width}", full_page=True)
                assert shot.stat().st_size > 0
                if path.endswith("boards/N/preview") and width == 800:
                    # As a chosen student: the picker redraws the board for them, still read-only.
                    student = page.locator("#preview-student option").nth(1)
                    page.select_option("#preview-student", student.get_attribute("value"))
                    page.get_by_role("button", name="Show").click()
                    name = student.inner_text().strip()
                    expect(page.locator(".preview-title")).to_have_text(
                        f"Preview — what {name} sees"
                    )
                    assert page.locator("main form[method=post]").count() == 0
                    screenshot(page, "preview-board-800")
                if path.endswith("binder"):
                    counts = page.locator("svg.chart").evaluate_all(
                        "els => els.map(e => e.querySelectorAll('circle').length)"
                    )
                    chart = page.locator("svg.chart").nth(counts.index(max(counts)))
                    chart.scroll_into_view_if_needed()
                    card = chart.locator("xpath=ancestor::section[1]")
                    card.screenshot(path=str(shot.with_name(f"binder-chart-{width}.png")))
        page.context.close()


#: Each level pill in main: its label, the colour of its bar against the colour it was given, and
#: whether its score "(n)" stands next to it (after it on its line, or just under it).
LEVELS_JS = r"""() => Array.from(document.querySelectorAll("main span.level")).map(pill => {
  const score = pill.nextElementSibling;
  const box = pill.getBoundingClientRect();
  const scoreBox = score ? score.getBoundingClientRect() : null;
  const probe = document.createElement("span");
  probe.style.color = pill.style.getPropertyValue("--level-color");
  document.body.appendChild(probe);
  const given = getComputedStyle(probe).color;
  probe.remove();
  return {
    label: pill.textContent.trim(),
    bar: getComputedStyle(pill).borderLeftColor,
    given,
    score: score && score.matches("span.muted") ? score.textContent.trim() : null,
    // Right after it on its line, or (a narrow table cell) on the next line under its left edge.
    scoreNextToIt: !!scoreBox && (
      (Math.abs((scoreBox.top + scoreBox.bottom) / 2 - (box.top + box.bottom) / 2) <= box.height / 2
        && scoreBox.left >= box.right && scoreBox.left - box.right < 20)
      || (scoreBox.top >= box.bottom - 1 && scoreBox.top - box.bottom < box.height
        && Math.abs(scoreBox.left - box.left) <= 2)),
  };
})"""


def test_a_students_levels_are_drawn_whole_with_their_colour_and_score(
    browser: Any, live: Any
) -> None:
    """On the student's home, targets and target page, at every width: each level pill on one
    line, its bar in the level's colour, its score "(n)" next to it (after it on its line, or in
    a narrow table cell just under it)."""
    page, urls = pages_of(browser, live, "Ben Okafor")
    for path, name in (
        ("/learn/", "home"),
        ("/learn/targets", "targets"),
        ("/learn/targets/N", "target"),
    ):
        url = next(u for u in urls if route(u).endswith(path))
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            where = f"{name} at {width}px"
            screenshot(page, f"student-levels-{name}-{width}", full_page=True)
            assert split_pills(page, "main") == [], where
            levels = page.evaluate(LEVELS_JS)
            # The student/targets/_level.html macro draws a pill and its score; feedback pills
            # (an assessment's own level) come without one.
            scored = [level for level in levels if level["score"] is not None]
            assert scored, f"{where}: no level with its score shown"
            for level in levels:
                assert level["label"], (where, level)
                assert level["bar"] == level["given"], (where, level)
            for level in scored:
                assert re.fullmatch(r"\((\d+(\.\d+)?|\d+% likely)\)", level["score"]), (
                    where,
                    level,
                )
                assert level["scoreNextToIt"], (where, level)
    page.context.close()


#: Each row of the student's targets table: where its cells are, and the labels a person sees.
TARGET_ROWS_JS = r"""() => Array.from(document.querySelectorAll("main table tbody tr")).map(row => {
  const cells = Array.from(row.children);
  const boxes = cells.map(c => c.getBoundingClientRect());
  return {
    tops: boxes.map(b => Math.round(b.top)),
    lefts: boxes.map(b => Math.round(b.left)),
    rights: boxes.map(b => Math.round(b.right)),
    labels: Array.from(row.querySelectorAll(".cell-label"))
      .filter(l => l.getBoundingClientRect().width > 0).map(l => l.textContent.trim()),
    next: cells[2].innerText.replace(/^What next\s*/, "").trim(),
    // The level's score "(n)" on the pill's line (it wrapped under "Near Mastery" at 800 px).
    scoreOnItsLine: Array.from(cells[1].querySelectorAll("span.level + span.muted")).every(s => {
      const pill = s.previousElementSibling.getBoundingClientRect();
      const box = s.getBoundingClientRect();
      return Math.abs((box.top + box.bottom) / 2 - (pill.top + pill.bottom) / 2) <= pill.height / 2;
    }),
  };
})"""


def test_a_students_targets_read_whole_on_a_phone(browser: Any, live: Any) -> None:
    """The targets table, at 360 px, was wider than the phone: "What next" (the reason and the
    next step) ran out of its box, a few letters a line. On a phone each target is a block, its
    level, what next and evidence under it with their names; from 800 px it is a table, a row's
    cells side by side. Screen readers read a table either way (its roles are set)."""
    page, urls = pages_of(browser, live, "Ben Okafor")
    url = next(u for u in urls if route(u).endswith("/learn/targets"))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        where = f"targets at {width}px"
        screenshot(page, f"student-targets-{width}", full_page=True)
        assert tables_read_sideways(page) == [], where
        assert_readable_tables(page, where)
        assert_no_sideways_scroll(page, where)
        rows = page.evaluate(TARGET_ROWS_JS)
        assert len(rows) >= 3, where
        for row in rows:
            assert row["next"], (where, row)  # the reason or the next step, always said
            assert row["scoreOnItsLine"], (where, row)
            if width == 360:
                # One block: target, level, what next, evidence, one under the other, full width.
                assert row["tops"] == sorted(row["tops"]), (where, row)
                assert len(set(row["tops"])) == 4, (where, row)
                assert max(row["rights"]) - min(row["lefts"]) >= 300, (where, row)
                assert row["labels"] == ["My level", "What next", "Evidence"], (where, row)
            else:
                assert len(set(row["lefts"])) == 4, (where, row)  # four columns
                assert max(row["tops"]) - min(row["tops"]) <= 2, (where, row)
                assert row["labels"] == [], (where, row)  # the column heads say it
        table = page.get_by_role("table", name="Where I am on each target")
        expect(table).to_have_count(1)
        expect(table.get_by_role("columnheader", name="What next")).to_have_count(1)
        expect(table.get_by_role("rowheader")).to_have_count(len(rows))
        expect(table.get_by_role("row")).to_have_count(len(rows) + 1)
    page.context.close()


#: Each roster row: the name, and the tops of its name, email, role and status boxes.
ROSTER_ROWS_JS = r"""() => Array.from(document.querySelectorAll("table.roster tbody tr"))
.map(tr => {
  const boxes = Array.from(tr.children).map(c => c.getBoundingClientRect());
  return {name: tr.querySelector("th").textContent.trim(), tops: boxes.map(b => Math.round(b.top)),
          lefts: boxes.map(b => Math.round(b.left)), height: tr.getBoundingClientRect().height};
})"""


def test_a_teacher_finds_a_student_on_the_roster_from_a_phone(browser: Any, live: Any) -> None:
    """27 people stacked on a phone made a page of 3,900 px to scroll through for one name. The
    roster has a search (name or email, any words, accents aside) and a role filter; on a phone a
    person takes three lines (name; email; role and status side by side)."""
    page, urls = pages_of(browser, live, "Ms Rivera")
    url = next(u for u in urls if route(u).endswith("/teach/roster"))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        everyone = page.evaluate(ROSTER_ROWS_JS)
        total = len(everyone)
        assert total >= 20, everyone
        expect(page.locator("#roster-count")).to_have_text(f"{total} people")
        for row in everyone:
            name, email, role, status = row["tops"]
            if width == 360:  # name, then email, then role and status on one line
                assert name < email < role, (width, row)
                assert abs(role - status) <= 2, (width, row)
                assert row["height"] <= 110, (width, row)  # three lines, not four
            else:  # a table row: four cells side by side
                assert max(row["tops"]) - min(row["tops"]) <= 2, (width, row)
                assert row["lefts"] == sorted(set(row["lefts"])), (width, row)
        page.get_by_label("Name or email").fill("okafor")
        page.get_by_role("button", name="Find").click()
        expect(page.locator("#roster-count")).to_contain_text(f"of {total} people")
        found = page.evaluate(ROSTER_ROWS_JS)
        assert found, width
        assert all("Okafor" in row["name"] for row in found), found
        assert len(found) < total
        if width == 360:
            screenshot(page, "roster-found-360", full_page=True)
        page.get_by_role("link", name="Show everyone").click()
        expect(page.locator("#roster-count")).to_have_text(f"{total} people")
        expect(page.get_by_label("Name or email")).to_have_value("")
    page.context.close()


#: A grid's box scrolled right: its first row head and a cell further right, before and after.
GRID_SCROLL_JS = r"""() => {
  const box = document.querySelector("main .table-wrap:has(table.matrix)");
  const head = box.querySelector("tbody th[scope=row]");
  const cell = head.parentElement.querySelector("td:last-child");
  const caption = box.querySelector("caption > span");
  const before = {head: head.getBoundingClientRect().left, cell: cell.getBoundingClientRect().left,
                  caption: caption.getBoundingClientRect().left};
  box.scrollLeft = box.scrollWidth;
  return {box: box.getBoundingClientRect().left, scrolled: box.scrollLeft, before,
          head: head.getBoundingClientRect().left, cell: cell.getBoundingClientRect().left,
          caption: caption.getBoundingClientRect().left, captionText: caption.textContent};
}"""


def test_a_grids_row_heads_stay_in_view_when_it_scrolls(browser: Any, live: Any) -> None:
    """The quick grid is wider than a phone or an LMS frame and scrolls in its own box: the
    student's name, which says whose row it is, stays at the box's left edge while the scores
    scroll under it (it scrolled away with them before), and so does the grid's caption."""
    page, urls = pages_of(browser, live, "Ms Rivera")
    url = next(u for u in urls if route(u).endswith("/teach/quick-grid"))
    page.set_viewport_size({"width": 360, "height": 900})  # 5 targets fit at 800 px
    page.goto(url)
    grid = page.evaluate(GRID_SCROLL_JS)
    assert grid["scrolled"] > 0, grid  # wider than its box
    assert grid["cell"] < grid["before"]["cell"], grid  # the scores moved
    assert abs(grid["head"] - grid["box"]) <= 1, grid  # the name did not
    assert grid["captionText"] == "Students × targets", grid
    assert abs(grid["caption"] - grid["before"]["caption"]) <= 1, grid  # nor the grid's caption
    screenshot(page, "quick-grid-scrolled-360")
    page.context.close()


#: The one-student quick grid: each target's label, its "Now:" level and its score box, and the
#: student pager's links.
ONE_STUDENT_JS = r"""() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const fields = Array.from(document.querySelectorAll("main .score-field")).map(f => ({
    label: box(f.querySelector("label")), now: box(f.querySelector(".hint")),
    nowLines: Math.round(f.querySelector(".hint").getBoundingClientRect().height
                         / parseFloat(getComputedStyle(f.querySelector(".hint")).lineHeight)),
    level: !!f.querySelector(".hint span.level"), input: box(f.querySelector("input"))}));
  const pager = Array.from(document.querySelectorAll("main .student-pager > *")).map(box);
  return {fields, pager, width: document.documentElement.clientWidth,
          button: box(document.querySelector("main form[method=post] .btn-primary"))};
}"""


def test_a_teacher_scores_one_student_at_a_time_on_a_phone(browser: Any, live: Any) -> None:
    """The quick grid is 5 targets wide; on a phone a teacher opens it one student at a time: each
    target's statement, the student's level now and a score box one under the other, all inside
    the screen, then "Save, then <next student>" opens the next one. A bad score keeps the
    student and what was typed; a blank save just moves on (this test saves no score: the
    sandbox's levels are other tests' fixtures)."""
    page, urls = pages_of(browser, live, "Ms Rivera")
    grid_url = next(u for u in urls if route(u).endswith("/teach/quick-grid"))
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(grid_url)
    page.get_by_role("link", name="One student at a time").click()
    heading = page.locator("#qg-name")
    first = heading.inner_text()
    expect(page.locator("#qg-position")).to_contain_text("Student 1 of ")
    screenshot(page, "quick-grid-student-first-360", full_page=True)
    following = page.locator(".student-pager a[rel=next]").inner_text()
    second = following.replace("Next:", "").strip(" →\n")
    box = page.locator("main .score-field input").first
    box.fill("9")
    page.locator("main form[method=post] .btn-primary").click()
    expect(page.locator("#grid-error")).to_contain_text("Nothing was saved")
    expect(heading).to_have_text(first)
    expect(box).to_have_value("9")
    screenshot(page, "quick-grid-student-error-360", full_page=True)
    box.fill("")
    page.get_by_role("button", name=f"Save, then {second}").click()
    expect(heading).to_have_text(second)
    expect(page.locator(".flash")).to_have_text(f"No scores typed for {first}.")
    expect(page.locator("#qg-position")).to_contain_text("Student 2 of ")
    for width in WIDTHS:  # the second student: levels to show, a student before and after
        page.set_viewport_size({"width": width, "height": 800})
        shape = page.evaluate(ONE_STUDENT_JS)
        assert len(shape["fields"]) >= 3, shape
        assert any(f["level"] for f in shape["fields"]), shape
        for field in shape["fields"]:
            # Label, then its level, then the box: one under the other, all inside the screen.
            assert field["label"]["bottom"] <= field["now"]["top"] + 1, (width, field)
            assert field["now"]["bottom"] <= field["input"]["top"] + 1, (width, field)
            assert field["input"]["right"] <= shape["width"], (width, field)
            assert field["nowLines"] == 1, (width, field)  # "Now: Near Mastery (2)" on one line
        assert shape["button"]["right"] <= shape["width"], (width, shape["button"])
        previous, after = shape["pager"]
        assert abs(previous["top"] - after["top"]) <= 1, (width, shape["pager"])  # one line
        assert after["right"] <= shape["width"], (width, shape["pager"])
        assert_no_sideways_scroll(page, f"one-student quick grid at {width}px")
        screenshot(page, f"quick-grid-student-{width}", full_page=True)
    page.wait_for_load_state("networkidle")
    page.context.close()


SYNCED_AT = datetime(2026, 7, 4, 15, 30, tzinfo=UTC)  # 10:30 in Chicago (CDT, UTC-5)


def _demo_course_id(live: Any, url: str) -> int:
    return int(urlsplit(url).path.split("/courses/")[1].split("/")[0])


def _write(live: Any, change: Any) -> Any:
    """Change rows in the live tool's database (committed), as a job in the server would."""
    with live.app.app_context():
        try:
            result = change()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def test_local_times_and_live_progress_in_chicago(browser: Any, live: Any) -> None:
    """A stored UTC time reads in the browser's zone; a running sync's bar moves on its own."""
    page, urls = pages_of(browser, live, "Ms Rivera", timezone_id="America/Chicago", locale="en-US")
    course_id = _demo_course_id(live, urls[0])
    roster_url = urls[0].split("/teach")[0] + "/teach/roster"

    def synced_then_pin() -> None:
        course = db.session.get(Course, course_id)
        course.roster_synced_at = SYNCED_AT
        course.roster_sync_status = "OK: 26 members read"

    def running_job() -> int:
        job = job_progress.start(course_id, job_progress.ROSTER_SYNC, now=SYNCED_AT)
        job_progress.update(job.id, now=SYNCED_AT, state="running", done=120, total=300)
        return job.id

    # The launch's own roster sync runs in the background: let it finish before pinning the time.
    page.goto(roster_url)
    page.wait_for_function("() => !/never/.test(document.querySelector('main').innerText)")
    _write(live, synced_then_pin)
    job_id = _write(live, running_job)
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(roster_url)
    stamp = page.locator("main time").first
    shown = re.sub(r"[\u202f\xa0]", " ", stamp.inner_text())
    assert stamp.get_attribute("datetime") == "2026-07-04T15:30:00Z"
    assert "Jul 4, 2026" in shown, shown
    assert "10:30 AM" in shown, shown  # Chicago, not 15:30 UTC
    text = page.locator(".job-progress-text")
    expect(text).to_have_text("Synced 120 of 300 people…")
    assert page.locator(".job-progress progress").get_attribute("value") == "40"
    screenshot(page, "progress-800")
    page.locator(".job-progress").screenshot(path=str(screenshot(page, "progress-bar")))

    # The job moves on and ends: the page follows without a reload.
    _write(
        live,
        lambda: job_progress.update(
            job_id, now=SYNCED_AT, done=300, state="done", message="OK: 300 members read"
        ),
    )
    expect(text).to_have_text(re.compile(r"^Finished: Synced 300 of 300 people"))
    expect(page.locator(".job-progress-done")).to_be_visible()
    assert page.locator(".job-progress progress").get_attribute("value") == "100"

    # A CSV import of targets shows the same bar, on the targets page, and its result.
    def running_import() -> int:
        job = job_progress.start(course_id, job_progress.TARGET_IMPORT, now=SYNCED_AT, total=300)
        job_progress.update(job.id, now=SYNCED_AT, state="running", done=120)
        return job.id

    import_id = _write(live, running_import)
    page.goto(roster_url.replace("/roster", "/targets") + f"?job={import_id}#import")
    expect(text).to_have_text("Checked 120 of 300 rows…")
    assert page.locator(".job-progress progress").get_attribute("value") == "40"
    page.locator("#import").scroll_into_view_if_needed()
    screenshot(page, "import-progress-800")
    _write(
        live,
        lambda: job_progress.update(
            import_id, now=SYNCED_AT, done=300, state="done", message="Added 300 targets."
        ),
    )
    expect(text).to_have_text("Finished: Imported 300 of 300 rows. Added 300 targets.")
    expect(page.locator(".job-progress-done")).to_be_visible()
    screenshot(page, "import-done-800")
    page.context.close()
