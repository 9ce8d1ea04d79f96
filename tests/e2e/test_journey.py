"""The whole journey a newcomer tries in the demo, as people would do it in a browser.

Teacher deep links targets into the sandbox course; a student launches that activity in the LMS
iframe, fills in the profile, picks a recommended activity, submits evidence and asks to be
assessed; the teacher assesses from the queue; the grade reaches the sandbox gradebook; the
student sees the new level, the explanation and the chart.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    gradebook_row,
    launch,
    screenshot,
    tool_frame,
)

pytestmark = pytest.mark.e2e

TARGET = "I can describe the parts of a cell and what each part does."
STUDENT = "Ana Alvarez"
TEACHER = "Ms Rivera"
COLUMN = "Cells mastery"


def check(page: Any, name: str, *, in_tool: bool = True, shot: bool = False) -> None:
    """axe on what the person sees now (the tool frame, or the LMS page); a screenshot if asked."""
    assert_accessible(tool_frame(page) if in_tool else page, name)
    if shot:
        screenshot(page, name)


def teacher_deep_links_targets(page: Any, sandbox_url: str) -> None:
    page.goto(sandbox_url + "/")
    page.get_by_role("button", name=re.compile("^Add activity")).click()
    frame = page.frame_locator("#tool-frame")
    expect(frame.get_by_role("heading", level=1)).to_contain_text("Add lti_pl to")
    check(page, "deep-link-picker", shot=True)
    frame.get_by_label(TARGET).check()
    frame.get_by_label("One column: the mastery grade over these targets").check()
    frame.get_by_label("Title (one-column mode)").fill(COLUMN)
    frame.get_by_role("button", name="Add targets").click()
    # The tool signs an LtiDeepLinkingResponse and auto-posts it back to the sandbox.
    expect(frame.locator("#dl-done")).to_have_text("Added to the course")
    expect(frame.locator("#added")).to_contain_text("(graded)")
    page.goto(sandbox_url + "/")
    expect(page.locator("#activities")).to_contain_text("(graded)")


def student_does_the_work(page: Any, sandbox_url: str, activity: str) -> None:
    frame = launch(page, sandbox_url, STUDENT, activity=activity)
    expect(
        frame.get_by_text("Student view").or_(frame.get_by_role("heading", level=1)).first
    ).to_be_visible()
    check(page, "student-landing")

    # Profile: interests, ways of working, a self-assessment.
    frame.get_by_role("link", name="My profile").first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("My learning profile")
    frame.get_by_label("My interests (separate with commas)").fill("art, comics")
    frame.get_by_label("create").check()
    frame.get_by_label(TARGET).select_option(index=2)
    check(page, "student-profile", shot=True)
    frame.get_by_role("button", name="Save profile").click()
    expect(frame.locator(".flash").first).to_be_visible()

    # The choice board: start the first activity recommended for this student.
    frame.get_by_role("link", name="Choice boards").first.click()
    frame.get_by_role("link", name="Cells choice board").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Cells choice board")
    recommended = frame.locator("article.activity").filter(has_text="Recommended for you").first
    expect(recommended).to_be_visible()
    title = recommended.locator("h3").inner_text()
    check(page, "student-choice-board", shot=True)
    recommended.get_by_role("button", name="Start").click()
    started = frame.locator("article.activity").filter(has_text=title).first
    expect(started).to_contain_text("In progress")

    # Evidence on the target, then "I'm ready to be assessed".
    frame.get_by_role("link", name="My learning targets").first.click()
    # The list is loaded before a link on it is followed (the home page has one too).
    expect(frame.get_by_role("heading", level=1)).to_have_text("My learning targets")
    frame.get_by_role("link", name=TARGET).first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(TARGET)
    frame.get_by_label("Text (your answer, or a note with a link or file)").fill(
        "The nucleus holds DNA; mitochondria release energy; the membrane controls what enters."
    )
    frame.get_by_role("button", name="Submit evidence").click()
    expect(frame.get_by_text("The nucleus holds DNA").first).to_be_visible()
    check(page, "student-target", shot=True)
    frame.get_by_role("button", name="I'm ready to be assessed").click()
    expect(frame.locator(".flash").first).to_be_visible()


def teacher_assesses(page: Any, sandbox_url: str) -> None:
    frame = launch(page, sandbox_url, TEACHER)
    frame.get_by_role("link", name="Assessment queue").first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Assessment queue")
    row = frame.locator("tr").filter(has_text=STUDENT)
    expect(row).to_contain_text(TARGET)
    check(page, "teacher-assessment-queue", shot=True)
    row.get_by_role("link", name=re.compile("^Assess")).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(f"Assess {STUDENT}")
    frame.get_by_label(re.compile(r"^3 · Mastery$")).check()
    frame.get_by_label("Feedback for the student").fill("Clear labels and functions: mastery.")
    check(page, "teacher-assess")
    frame.get_by_role("button", name="Save assessment").click()
    expect(frame.locator(".flash").first).to_be_visible()


def outbox_state(live: Any) -> str:
    """What the tool believes about its scores (for a failure message only)."""
    from sqlalchemy import select

    from lti_pl.extensions import db
    from lti_pl.models.grades import GradeOutboxEntry, LineItem

    with live.app.app_context():
        entries = db.session.scalars(select(GradeOutboxEntry)).all()
        items = db.session.scalars(select(LineItem)).all()
        return (
            f"line items={[(i.label, i.url) for i in items]} outbox="
            f"{[(e.status, e.attempts, e.last_error) for e in entries]} tokens="
            f"{live.sandbox.platform.state['token_requests'][-3:]}"
        )


def grade_reaches_the_gradebook(page: Any, sandbox_url: str, live: Any) -> None:
    """The grade worker sends the score; the sandbox gradebook shows it (polled, as a person)."""
    row = gradebook_row(
        page,
        sandbox_url,
        COLUMN,
        STUDENT,
        lambda: f"the score never reached the sandbox gradebook: {outbox_state(live)}",
        showing="Completed",
    )
    expect(row.locator("td.score")).not_to_have_text("—")
    expect(row).to_contain_text("FullyGraded")
    expect(row.locator("time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\dT"))
    check(page, "sandbox-gradebook", in_tool=False, shot=True)


def student_sees_the_new_level(page: Any, sandbox_url: str, activity: str) -> None:
    frame = launch(page, sandbox_url, STUDENT, activity=activity)
    frame.get_by_role("link", name="My learning targets").first.click()
    # The list is loaded before a link on it is followed (the home page has one too).
    expect(frame.get_by_role("heading", level=1)).to_have_text("My learning targets")
    frame.get_by_role("link", name=TARGET).first.click()
    level = frame.locator("#level-heading + p .level")
    expect(level).to_have_text("Mastery")
    expect(frame.get_by_text("Clear labels and functions: mastery.")).to_be_visible()
    check(page, "student-new-level", shot=True)
    frame.get_by_role("link", name="My data binder").first.click()
    section = frame.locator("section").filter(has=frame.get_by_role("heading", name=TARGET))
    expect(section.locator("svg.chart")).to_be_visible()
    expect(section.locator("svg.chart circle")).to_have_count(1)
    tool_frame(page).evaluate(
        "() => document.querySelector('svg.chart').scrollIntoView({block: 'center'})"
    )
    check(page, "student-binder-chart", shot=True)
    # The same page in an LMS that gives the tool an 800 px wide frame.
    page.evaluate("() => { document.getElementById('tool-frame').style.width = '800px'; }")
    page.wait_for_function(
        "() => document.getElementById('tool-frame').getBoundingClientRect().width === 800"
    )
    assert_no_horizontal_scroll(tool_frame(page), 800, "binder in an 800 px iframe")


def test_newcomer_journey_from_deep_link_to_grade_and_chart(live: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        teacher_deep_links_targets(page, live.sandbox_url)
        student_does_the_work(page, live.sandbox_url, COLUMN)
        teacher_assesses(page, live.sandbox_url)
        grade_reaches_the_gradebook(page, live.sandbox_url, live)
        student_sees_the_new_level(page, live.sandbox_url, COLUMN)
    finally:
        context.close()
