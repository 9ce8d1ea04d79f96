"""Every teacher and student page, as drawn at 360, 800 and 1280 px: words whole, no sideways page.

Each person launches from the sandbox LMS once; then the tool's pages are opened as a top-level
page (127.0.0.1 is one site, the session cookie comes along) and visited one route at a time:
the crawl follows the course menu and the links on each page, one URL per route pattern.
The data wall has its own geometry test (test_data_wall_geometry.py).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.geometry import assert_no_sideways_scroll, assert_readable_tables
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


def crawl(page: Any, start: str, limit: int = 40) -> list[str]:
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


def pages_of(browser: Any, live: Any, person: str) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    launch(page, live.sandbox_url, person)
    start = tool_frame(page).url
    return page, crawl(page, start)


@pytest.mark.parametrize("person", ["Ms Rivera", "Ben Okafor"])
def test_every_page_keeps_words_whole_and_never_scrolls_sideways(
    browser: Any, live: Any, person: str
) -> None:
    page, urls = pages_of(browser, live, person)
    assert len(urls) >= 6, f"the crawl reached too few pages: {urls}"
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
        ("Ms Rivera", ("/teach/targets", "/teach/boards/N/recommendations")),
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
                if path.endswith("binder"):
                    counts = page.locator("svg.chart").evaluate_all(
                        "els => els.map(e => e.querySelectorAll('circle').length)"
                    )
                    chart = page.locator("svg.chart").nth(counts.index(max(counts)))
                    chart.scroll_into_view_if_needed()
                    card = chart.locator("xpath=ancestor::section[1]")
                    card.screenshot(path=str(shot.with_name(f"binder-chart-{width}.png")))
        page.context.close()
