"""Launches inside another site's iframe when the browser refuses the tool's cookies there.

The LMS page is the emulator on 127.0.0.1, the tool runs on localhost: another site, so the
tool is third-party inside the LMS frame. Chromium's content setting blocks every cookie of the
tool embedded under the LMS (as Safari and every iPad do: partitioned cookies included), while
the tool opened on its own (first-party) keeps its cookies.

- Moodle (no platform storage): the launch hands off; the student opens lti_pl in a new window
  (Chromium here refuses the Storage Access API for a site blocked by a content setting, so
  "Continue here" tells the student so) and works there.
- Canvas (platform storage): the state is proven through the LMS's postMessage storage and the
  session travels in the tool's URLs inside the frame.
In both the student submits evidence, saves the learning profile and asks to be (re)assessed.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from lti_pl import create_app
from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import Evidence, ReassessmentRequest
from lti_pl.models.platforms import Platform
from lti_pl.models.profiles import LearningProfile
from lti_pl.sandbox.setup import prepare_tool
from lti_pl.services.platforms import import_registrations
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    CookieLog,
    RecordingMiddleware,
    _Quiet,
)
from tests.e2e.support import frame_at_widths, screenshot
from tests.support.builders import make_course, make_target
from tests.support.platform_emulator import PlatformEmulator

pytestmark = pytest.mark.e2e
PROFILES = ("moodle", "canvas")
#: The launch takes the tool's frame between sites four times in a second (tool, LMS, tool, tool):
#: with site isolation each is a swap to another renderer process, and under load Playwright
#: at times lost the frame for good (the expect then never returned, its timeout included: 1 in
#: ~15 runs on a loaded machine, and in CI). One renderer per tab keeps the frame where
#: Playwright sees it; the cookie blocking under test is the network service's, the same either way.
ONE_PROCESS_PER_TAB = ["--disable-site-isolation-trials"]


class Site:
    """The tool on localhost and one emulator per profile on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        self.log = CookieLog()
        recorder = RecordingMiddleware(None, self.log)
        self.server = make_server("127.0.0.1", 0, recorder, threaded=True, request_handler=_Quiet)
        self.tool_url = f"http://localhost:{self.server.server_port}"
        self.app = create_app(
            {
                "TESTING": False,
                "SECRET_KEY": "e2e-secret-key-not-for-production",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'tool.sqlite3'}",
                "LTI_PL_BASE_URL": self.tool_url,
                "LTI_PL_INSTANCE_PATH": str(folder),
                "LTI_PL_UPLOAD_FOLDER": str(folder / "uploads"),
                "LTI_PL_REDIS_URL": None,
                "LTI_PL_PROXY_HOPS": 0,
                "LTI_PL_HTTP_TIMEOUT": 5.0,
                "SESSION_COOKIE_SECURE": True,  # SameSite=None; Secure; Partitioned, as deployed
                "LTI_PL_COLUMN_BACKFILL": False,
            }
        )
        prepare_tool(self.app, now=utcnow())
        recorder.app = self.app
        self.platforms: dict[str, PlatformEmulator] = {}
        self.targets: dict[str, int] = {}
        for name in PROFILES:
            emulator = PlatformEmulator(profile=name, client_id=f"{name}-client").start()
            emulator.tool_url = self.tool_url
            self.platforms[name] = emulator
            with self.app.app_context():
                import_registrations(emulator.registration())
                db.session.commit()
                platform = db.session.scalars(
                    select(Platform).where(Platform.issuer == emulator.issuer)
                ).one()
                course = make_course(platform, context_id=f"{name}-course", title=f"{name} science")
                self.targets[name] = make_target(course, "I can label a cell diagram").id
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        for emulator in self.platforms.values():
            emulator.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    running = Site(tmp_path_factory.mktemp("cookieless"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def context(site: Site, playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium for the module: the tool's cookies blocked when framed by either LMS."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    (profile / "Default").mkdir()
    tool = site.tool_url
    blocked = {f"{tool},{p.url}": {"setting": 2} for p in site.platforms.values()}
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"content_settings": {"exceptions": {"cookies": blocked}}}})
    )
    browser = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *ONE_PROCESS_PER_TAB]
    )
    browser.set_default_timeout(TIMEOUT_MS)
    yield browser
    browser.close()


def open_course(context: Any, site: Site, profile: str, user: str) -> tuple[Any, Any]:
    """The LMS course page with the tool's launch in its iframe: (page, frame locator).

    The pages an earlier test left (its LMS page, a window it opened) are closed first."""
    for left in context.pages:
        left.close()
    context.clear_cookies()
    page = context.new_page()
    emulator = site.platforms[profile]
    page.goto(f"{emulator.url}/course/{profile}-course?user={user}&name=Chloe+Martin")
    return page, page.frame_locator("#tool-frame")


def student_work(view: Any, site: Site, profile: str, user: str) -> None:
    """Submit evidence, save the profile, ask to be assessed; check the page and the rows."""
    target_id = site.targets[profile]
    view.get_by_role("link", name="My learning targets").first.click()
    # The list is loaded before a link on it is followed (the home page has one too).
    expect(view.get_by_role("heading", level=1)).to_have_text("My learning targets")
    view.locator(f"main a[href*='/learn/targets/{target_id}']").first.click()
    view.get_by_label("Text (your answer, or a note with a link or file)").fill(
        f"{profile}: a labelled cell diagram"
    )
    view.get_by_role("button", name="Submit evidence").click()
    expect(view.locator(".flash").first).to_contain_text("Evidence submitted.")
    ask = view.get_by_role(
        "button", name=re.compile("^(Request reassessment|I'm ready to be assessed)$")
    )
    ask.last.click()
    expect(view.locator(".flash").first).to_contain_text("ready to be assessed")
    view.get_by_role("link", name="My profile").first.click()
    expect(view.get_by_role("heading", level=1)).to_have_text("My learning profile")
    view.get_by_label("My interests (separate with commas)").fill("frogs, comics")
    view.get_by_role("button", name="Save profile").click()
    expect(view.locator(".flash").first).to_contain_text("Profile saved.")
    expect(view.get_by_label("My interests (separate with commas)")).to_have_value("comics, frogs")
    expect(view.get_by_text("This form expired")).to_have_count(0)
    with site.app.app_context():
        enrollment = db.session.scalars(
            select(Enrollment)
            .join(Person)
            .join(Course)
            .where(Person.subject == user, Course.context_id == f"{profile}-course")
        ).one()
        texts = db.session.scalars(
            select(Evidence.text).where(Evidence.enrollment_id == enrollment.id)
        ).all()
        assert texts == [f"{profile}: a labelled cell diagram"]
        asked = db.session.scalars(
            select(ReassessmentRequest).where(ReassessmentRequest.enrollment_id == enrollment.id)
        ).all()
        assert [r.target_id for r in asked] == [target_id]
        saved = db.session.scalars(
            select(LearningProfile).where(LearningProfile.enrollment_id == enrollment.id)
        ).one()
        assert sorted(saved.interests) == ["comics", "frogs"]


def test_moodle_launch_without_cookies_opens_in_a_new_window(site: Site, context: Any) -> None:
    page, frame = open_course(context, site, "moodle", "moodle-student")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Open lti_pl")
    expect(frame.get_by_text("state_mismatch")).to_have_count(0)
    expect(frame.locator("#launch-handoff")).to_contain_text("Open lti_pl in a new window")
    expect(frame.get_by_text("Chloe Martin")).to_be_visible()
    screenshot(page, "moodle-cookieless-handoff")
    for width in (360, 800):
        page.set_viewport_size({"width": width, "height": 740})
        assert frame.locator("body").evaluate("b => b.scrollWidth <= b.clientWidth + 1")
        screenshot(page, f"moodle-cookieless-handoff-{width}px")
    page.set_viewport_size({"width": 1280, "height": 900})
    # Chromium refuses storage access to a site whose cookies a setting blocks: the page says so.
    continue_here = frame.get_by_role("button", name="Continue here")
    if continue_here.count() and continue_here.is_visible():
        continue_here.click()
        expect(frame.locator("#handoff-status")).to_contain_text("Open it in a new window")
    with page.expect_popup() as opened:
        frame.get_by_role("button", name="Open lti_pl in a new window").click()
    window = opened.value
    expect(window.get_by_text("Student view")).to_be_visible()
    expect(frame.locator("#handoff-status")).to_contain_text("open in a new window")
    assert window.url.startswith(site.tool_url)
    assert "lti_pl_s=" not in window.url  # first-party: a cookie session, not a URL one
    student_work(window, site, "moodle", "moodle-student")
    assert "lti_pl_s=" not in window.url
    screenshot(window, "moodle-cookieless-window")


def test_canvas_launch_without_cookies_keeps_working_in_the_frame(site: Site, context: Any) -> None:
    page, frame = open_course(context, site, "canvas", "canvas-student")
    expect(frame.get_by_text("Student view")).to_be_visible()
    student_work(frame, site, "canvas", "canvas-student")
    inner = page.frame(name="tool_frame")
    assert inner is not None
    assert "lti_pl_s=" in inner.url  # the session travels in the URL inside the frame
    screenshot(page, "canvas-cookieless-frame")


def test_a_teachers_search_and_filters_keep_the_session_in_the_frame(
    site: Site, context: Any
) -> None:
    """A GET form drops its action's query string: the session must travel as a field."""
    emulator = site.platforms["canvas"]
    for left in context.pages:
        left.close()
    context.clear_cookies()
    page = context.new_page()
    page.goto(
        f"{emulator.url}/course/canvas-course?user=canvas-teacher&role=Instructor&name=Ms+Rivera"
    )
    frame = page.frame_locator("#tool-frame")
    expect(frame.get_by_text("Teacher view")).to_be_visible()
    frame.get_by_role("link", name="Roster").first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(re.compile("Roster"))
    frame.locator("#roster-q").fill("Rivera")
    frame.get_by_role("button", name="Find").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(re.compile("Roster"))
    expect(frame.locator("#roster-q")).to_have_value("Rivera")
    frame.get_by_role("link", name="Assessment queue").first.click()
    frame.get_by_role("link", name=re.compile("everyone's chances", re.I)).first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(re.compile("Who looks ready"))
    frame.get_by_role("button", name="Show").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(re.compile("Who looks ready"))
    inner = page.frame(name="tool_frame")
    assert inner is not None
    assert "lti_pl_s=" in inner.url  # still a URL session, and still signed in
    screenshot(page, "canvas-cookieless-teacher-filter")


def launches_received(site: Site) -> int:
    with site.log.lock:
        return sum(
            1 for method, path, _ in site.log.requests if (method, path) == ("POST", "/lti/launch")
        )


def test_canvas_launch_works_when_the_lms_page_listens_late(site: Site, context: Any) -> None:
    """A big LMS page may still be loading its code when the tool's frame first asks platform
    storage to keep the state: that message is lost. The tool asks again until answered."""
    emulator = site.platforms["canvas"]
    emulator.storage_listens_after_ms = 1200
    try:
        page, frame = open_course(context, site, "canvas", "canvas-late")
        expect(frame.get_by_text("Student view")).to_be_visible()
    finally:
        emulator.storage_listens_after_ms = 0
    inner = page.frame(name="tool_frame")
    assert inner is not None
    assert "lti_pl_s=" in inner.url


def test_canvas_launch_with_no_storage_answer_says_so_and_stops(site: Site, context: Any) -> None:
    """An LMS that names a storage target but never answers, in a browser that blocks the tool's
    cookies: the launch cannot be bound to this browser. The frame used to post the launch
    again and again (a page that reloaded itself for ever); it shows why and stops."""
    emulator = site.platforms["canvas"]
    emulator.storage_answers = False
    site.log.clear()
    try:
        page, frame = open_course(context, site, "canvas", "canvas-unanswered")
        expect(frame.get_by_text("did not answer")).to_be_visible()
    finally:
        emulator.storage_answers = True
    expect(frame.get_by_text("Open the tool again from your course")).to_be_visible()
    page.wait_for_timeout(1500)  # a loop would have posted many more by now
    assert launches_received(site) == 2  # the platform's form post, then the storage page's
    # What the student reads, in the LMS's frame at a phone's, an LMS page's and a laptop's width:
    # axe, no sideways scroll, a screenshot each.
    frame_at_widths(page, "canvas-storage-unanswered", height=700)
