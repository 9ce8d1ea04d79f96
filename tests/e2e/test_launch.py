"""Launches from the sandbox LMS into the tool, in an iframe, with and without cookies."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    launch,
    screenshot,
    tool_frame,
)

pytestmark = pytest.mark.e2e


def test_sandbox_course_page_lists_people_and_says_it_is_a_sandbox(live: Any, page: Any) -> None:
    page.goto(live.sandbox_url + "/")
    expect(page.get_by_role("note")).to_contain_text("SANDBOX LMS")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sandbox: Grade 7 Science")
    buttons = page.get_by_role("button", name="Launch as")
    expect(buttons).to_have_count(27)  # a teacher, 25 students, a parent
    expect(page.get_by_role("button", name="Launch as Ms Rivera (Teacher)")).to_be_visible()
    assert_accessible(page, "sandbox course page")
    screenshot(page, "sandbox-course")


def test_teacher_launch_opens_the_teacher_view_inside_the_lms_iframe(live: Any, page: Any) -> None:
    frame = launch(page, live.sandbox_url, "Ms Rivera")
    expect(page.locator("#launched-as")).to_contain_text("Ms Rivera")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Sandbox: Grade 7 Science")
    expect(frame.get_by_text("Teacher view")).to_be_visible()
    expect(frame.get_by_role("note")).to_contain_text("sandbox LMS")
    assert "/teach/" in tool_frame(page).url
    assert_accessible(tool_frame(page), "teacher home")
    assert_accessible(page, "sandbox launch page")
    screenshot(page, "teacher-home-in-lms")


def test_student_launch_opens_the_student_view(live: Any, page: Any) -> None:
    frame = launch(page, live.sandbox_url, "Ben Okafor")
    expect(frame.get_by_text("Student view")).to_be_visible()
    expect(frame.get_by_role("heading", name="My learning targets")).to_be_visible()
    assert "/learn/" in tool_frame(page).url
    assert_accessible(tool_frame(page), "student home")


def test_the_launch_page_reloads_as_its_own_get(live: Any, page: Any) -> None:
    """The home comes in the launch's response; reloading it GETs it (no id_token replayed)."""
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    frame = launch(page, live.sandbox_url, "Ben Okafor")
    expect(frame.get_by_text("Student view")).to_be_visible()
    launched = [r for r in responses if r.url.endswith("/lti/launch")]
    assert [(r.request.method, r.status) for r in launched] == [("POST", 200)]
    assert not [r for r in responses if "/learn/" in r.url]  # one round trip, no redirect
    inner = tool_frame(page)
    assert "/learn/" in inner.url  # history.replaceState to the page's GET URL
    responses.clear()
    # Wait for the reload's own answer: the old document still shows "Student view" meanwhile.
    with page.expect_response(lambda r: "/learn/" in r.url or r.url.endswith("/lti/launch")):
        inner.evaluate("location.reload()")
    expect(frame.get_by_text("Student view")).to_be_visible()
    expect(frame.get_by_role("heading", name="My learning targets")).to_be_visible()
    assert [r.request.method for r in responses if "/learn/" in r.url][:1] == ["GET"]
    assert not [r for r in responses if r.url.endswith("/lti/launch")]


def test_parent_launch_opens_the_observer_view(live: Any, page: Any) -> None:
    frame = launch(page, live.sandbox_url, "Luis Alvarez")
    expect(frame.get_by_text("Observer view")).to_be_visible()
    assert_accessible(tool_frame(page), "observer home")


#: A Chromium's User-Agent, to which a test adds its own mark.
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"


def test_launch_with_every_cookie_blocked_keeps_the_session_through_platform_storage(
    live: Any, playwright: Any, tmp_path: Path
) -> None:
    """Chromium's own content setting blocks all cookies; the tool must never receive one.

    The tool proves the login state through the sandbox's storage frame (lti.put_data /
    lti.get_data) and then carries the session in its URLs.
    """
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"cookies": 2}}})
    )
    agent = "lti-pl-e2e-all-cookies-blocked"  # what the tool receives from this browser only
    live.cookies.clear(only_agent=agent)
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        user_agent=f"{BROWSER_AGENT} {agent}",
    )
    try:
        context.set_default_timeout(15_000)
        page = context.new_page()
        frame = launch(page, live.sandbox_url, "Chloe Martin")
        expect(frame.get_by_text("Student view")).to_be_visible()
        # A second page inside the tool: the session travels in the URL, not a cookie.
        frame.get_by_role("link", name="See all my targets").click()
        expect(frame.get_by_role("heading", level=1)).to_have_text("My learning targets")
        assert "/learn/targets" in tool_frame(page).url
        assert "lti_pl_s=" in tool_frame(page).url
        # Forms work too: the first form of each page (CSRF secret in the URL session).
        cookieless_student_work(frame)
        assert context.cookies() == []
    finally:
        context.close()
    seen = list(live.cookies.requests)
    live.cookies.clear()
    assert any(path == "/lti/launch" for _, path, _ in seen)
    assert [r for r in seen if r[2]] == [], "the tool received a cookie"
    # Both launch POSTs arrived: the first asked the browser to prove its state from storage.
    assert sum(1 for m, path, _ in seen if (m, path) == ("POST", "/lti/launch")) == 2


def cookieless_student_work(frame: Any) -> None:
    """Save the profile, submit evidence (text, then a file) and ask for (re)assessment, all
    without a cookie."""
    frame.get_by_role("link", name="My profile").first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("My learning profile")
    frame.get_by_label("My interests (separate with commas)").fill("frogs, comics")
    frame.get_by_role("button", name="Save profile").click()
    expect(frame.locator(".flash").first).to_be_visible()
    expect(frame.get_by_label("My interests (separate with commas)")).to_have_value(
        "comics, frogs"
    )  # saved, shown sorted
    ask = frame.get_by_role(
        "button", name=re.compile("^(Request reassessment|I'm ready to be assessed)$")
    )
    frame.get_by_role("link", name="My learning targets").first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("My learning targets")
    count = frame.locator("main a[href*='/learn/targets/']").count()
    assert count > 0
    for index in range(count):  # a target below the top of the scale: one may ask again
        if index:  # back from a target's page (waiting on the list already shown would not wait)
            frame.get_by_role("link", name="My learning targets").first.click()
            expect(frame.get_by_role("heading", level=1)).to_have_text("My learning targets")
        frame.locator("main a[href*='/learn/targets/']").nth(index).click()
        expect(frame.locator("#submit-heading")).to_be_visible()
        if frame.get_by_role("button", name="Log reflection").count():
            frame.get_by_label("What did you relearn, and how?").fill("I redrew the cell.")
            frame.get_by_role("button", name="Log reflection").click()
            expect(frame.locator(".flash").first).to_be_visible()
        if ask.count():
            break
    frame.get_by_label("Text (your answer, or a note with a link or file)").fill(
        "Cookieless evidence: a labelled cell diagram."
    )
    frame.get_by_role("button", name="Submit evidence").click()
    expect(frame.get_by_text("Cookieless evidence: a labelled cell diagram.").first).to_be_visible()
    # A file: the page uploads it itself (its progress), and the session is in its address.
    frame.get_by_role("radio", name="A file").check()
    frame.locator("#file").set_input_files(
        {"name": "cookieless-diagram.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}
    )
    frame.get_by_role("button", name="Submit evidence").click()
    expect(frame.get_by_text("cookieless-diagram.pdf").first).to_be_visible()
    expect(frame.locator(".flash").first).to_contain_text("Evidence")
    expect(ask.last).to_be_visible()
    ask.last.click()
    expect(frame.locator(".flash").first).to_be_visible()
    expect(frame.get_by_text("This form expired")).to_have_count(0)


@pytest.mark.parametrize("width", [360])
def test_pages_fit_a_phone_width(live: Any, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 740})
    try:
        page = context.new_page()
        page.goto(live.sandbox_url + "/")
        assert_no_horizontal_scroll(page, width, "sandbox course page")
        page.goto(live.sandbox_url + "/gradebook")
        assert_no_horizontal_scroll(page, width, "sandbox gradebook")
        frame = launch(page, live.sandbox_url, "Dev Patel")
        expect(frame.get_by_text("Student view")).to_be_visible()
        # The tool's page opened on its own (as on a phone's LMS app), at 360 px.
        page.goto(tool_frame(page).url)
        expect(page.get_by_text("Student view")).to_be_visible()
        assert_no_horizontal_scroll(page, width, "student home")
        screenshot(page, f"student-home-{width}px")
    finally:
        context.close()


def test_on_a_shared_device_back_shows_the_next_student_nothing_of_the_last(
    playwright: Any, live: Any
) -> None:
    """A school iPad: Ben opens his data binder, then Chloe launches the tool in the same
    browser. Back to the binder's address shows Chloe's binder (the tool answers for who is
    signed in now). Before pages were `no-store`, the browser's back/forward cache gave Ben's
    page back whole. Playwright switches that cache off by default; this browser has it on, as
    every person's browser does."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    try:
        page = chromium.new_context(viewport={"width": 800, "height": 900}).new_page()
        launch(page, live.sandbox_url, "Ben Okafor")
        binder = tool_frame(page).url.split("/learn/")[0] + "/learn/binder"
        page.goto(binder)
        expect(page.get_by_role("heading", level=1)).to_have_text("Data binder: Ben Okafor")
        launch(page, live.sandbox_url, "Chloe Martin")
        for _ in range(10):  # back through the LMS page and its frame's steps to the binder
            if page.url == binder:
                break
            try:
                page.evaluate("() => history.back()")  # a frame's step fires no load on the page
            except PlaywrightError as error:  # the page itself went back before the call returned
                if "Execution context was destroyed" not in str(error):
                    raise
            page.wait_for_timeout(300)
        assert page.url == binder
        expect(page.get_by_role("heading", level=1)).to_have_text("Data binder: Chloe Martin")
        page.wait_for_load_state("networkidle")  # nothing left on its way to the tool
    finally:
        chromium.close()


def test_the_next_page_asks_the_tool_for_the_page_alone(live: Any, browser: Any) -> None:
    """After the launch, opening another page sends one request: the page. Its stylesheets and
    scripts come from the browser's cache unasked. They were `no-cache`, so each page view also
    sent a conditional request per asset and drew nothing until the 304s were back."""
    agent = "lti-pl-e2e-next-page"
    context = browser.new_context(user_agent=f"{BROWSER_AGENT} {agent}")
    try:
        page = context.new_page()
        frame = launch(page, live.sandbox_url, "Dev Patel")
        expect(frame.get_by_text("Student view")).to_be_visible()
        page.wait_for_load_state("networkidle")
        live.cookies.clear(only_agent=agent)
        frame.get_by_role("link", name="See all my targets").click()
        expect(frame.get_by_role("heading", level=1)).to_have_text("My learning targets")
        page.wait_for_load_state("networkidle")
        styled = tool_frame(page).evaluate(
            "() => getComputedStyle(document.body).fontFamily !== 'Times New Roman'"
            " && document.styleSheets.length > 0"
        )
        assert styled, "the page was drawn without its stylesheet"
    finally:
        context.close()
    seen = [(method, path) for method, path, _ in live.cookies.requests]
    live.cookies.clear()
    assert seen, "the tool received nothing"
    assert all(method == "GET" for method, _ in seen), seen
    assert [path for _, path in seen] == [seen[0][1]], f"more than the page: {seen}"
    assert seen[0][1].endswith("/learn/targets"), seen
