"""Relearn → reassess → the teacher stands behind a level → the LMS gradebook, in a browser.

A teacher deep links a target as its own gradebook column; a student shows evidence, is assessed
below mastery, logs what they relearned and asks again; the teacher sees the relearning beside
the request, reassesses (the decaying average still says Near Mastery), sets the level by hand
with a reason, and the sandbox gradebook receives the grade with the comment that says so; the
student reads the reason in the binder. Every page this changed is checked with axe and shot at
360, 800 and 1280 px.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.support import frame_at_widths, gradebook_row, launch

pytestmark = pytest.mark.e2e

TARGET = "I can design a fair test and name its variables."
STUDENT = "Ben Okafor"
TEACHER = "Ms Rivera"
REFLECTION = "I re-read the variables sheet and redid the paper-towel test changing one thing only."
REASON = "In conference Ben named all three variables and explained why only one changes."
DESCRIPTOR = "Names the variable changed, the one measured and the ones kept the same."


def deep_link_target_column(page: Any, sandbox_url: str) -> None:
    page.goto(sandbox_url + "/")
    page.get_by_role("button", name=re.compile("^Add activity")).click()
    frame = page.frame_locator("#tool-frame")
    frame.get_by_label(TARGET).check()
    frame.get_by_label(re.compile("^One column per target")).check()
    frame.get_by_role("button", name="Add targets").click()
    expect(frame.locator("#dl-done")).to_have_text("Added to the course")


def teacher_describes_the_levels(page: Any, sandbox_url: str) -> None:
    frame = launch(page, sandbox_url, TEACHER)
    frame.get_by_role("link", name="Learning targets").first.click()
    frame.locator("tr").filter(has_text=TARGET).get_by_role(
        "link", name=re.compile("^Levels")
    ).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("What each level looks like")
    frame.get_by_label(re.compile(r"^3 · Mastery")).fill(DESCRIPTOR)
    frame_at_widths(page, "teacher-level-descriptors")
    frame.get_by_role("button", name="Save descriptions").click()
    expect(frame.locator(".flash").first).to_contain_text("Saved 1 level description")


def student_target(page: Any, sandbox_url: str) -> Any:
    frame = launch(page, sandbox_url, STUDENT, activity=TARGET)
    frame.get_by_role("link", name="My learning targets").first.click()
    # The list is loaded before a link on it is followed (the home page has one too).
    expect(frame.get_by_role("heading", level=1)).to_have_text("My learning targets")
    frame.get_by_role("link", name=TARGET).first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(TARGET)
    return frame


def student_shows_work(page: Any, sandbox_url: str) -> None:
    frame = student_target(page, sandbox_url)
    expect(frame.locator("#descriptors")).to_contain_text(DESCRIPTOR)
    frame.get_by_label("Text (your answer, or a note with a link or file)").fill(
        "I tested paper towels: I changed the brand and measured the water soaked up."
    )
    frame.get_by_label("I'm ready to be assessed on this target").check()
    frame.get_by_role("button", name="Submit evidence").click()
    expect(frame.locator(".flash").first).to_contain_text("ready to be assessed")


def teacher_assesses_from_the_queue(page: Any, sandbox_url: str, level: str) -> Any:
    frame = launch(page, sandbox_url, TEACHER)
    frame.get_by_role("link", name="Assessment queue").first.click()
    row = frame.locator("tr").filter(has_text=STUDENT).filter(has_text=TARGET)
    row.get_by_role("link", name=re.compile("^Assess")).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(f"Assess {STUDENT}")
    expect(frame.locator(".rubric")).to_contain_text(DESCRIPTOR)
    return frame, level


def save_level(frame: Any, level: str) -> None:
    frame.get_by_label(re.compile(rf"^{re.escape(level)}$")).check()
    frame.get_by_role("button", name="Save assessment").click()
    expect(frame.locator(".flash").first).to_contain_text("Assessment saved")


def student_relearns(page: Any, sandbox_url: str) -> None:
    frame = student_target(page, sandbox_url)
    frame.get_by_label("What did you relearn, and how?").fill(REFLECTION)
    frame.get_by_role("button", name="Log reflection").click()
    expect(frame.locator(".flash").first).to_contain_text("Relearning logged")
    expect(frame.locator("#my-relearning")).to_contain_text(REFLECTION)
    frame.get_by_role("button", name="Request reassessment").click()
    expect(frame.locator(".flash").first).to_contain_text("ready to be assessed")
    expect(frame.locator("#my-relearning")).to_contain_text(REFLECTION)
    frame_at_widths(page, "student-target-relearning", focus="#my-relearning")


def teacher_overrides(page: Any, sandbox_url: str) -> None:
    frame, _ = teacher_assesses_from_the_queue(page, sandbox_url, "")
    relearning = frame.locator("#request-relearning")
    expect(relearning).to_contain_text(REFLECTION)
    expect(relearning).to_contain_text("since the last assessment")
    frame_at_widths(page, "teacher-assess-relearning", focus="#request-relearning")
    frame.get_by_role("link", name="Assess this evidence on several targets").first.click()
    expect(frame.get_by_role("heading", level=1)).to_contain_text("on every target this work shows")
    expect(frame.locator(".multi-target")).to_have_count(5)
    expect(frame.locator(".multi-target").first).to_contain_text(DESCRIPTOR)
    frame_at_widths(page, "teacher-multi-target")
    frame, _ = teacher_assesses_from_the_queue(page, sandbox_url, "")
    save_level(frame, "3 · Mastery")
    # 1 then 3 on the decaying average: still Near Mastery.
    frame = open_level_page(page, sandbox_url, "Near Mastery")
    expect(frame.locator("#level-heading + p .level")).to_have_text("Near Mastery")
    frame.locator("#override").get_by_label(re.compile(r"^3 · Mastery$")).check()
    frame.get_by_role("button", name="Set level").click()
    expect(frame.locator("#reason:invalid")).to_have_count(1)  # a reason is required
    frame.get_by_label("Reason (the student reads it)").fill(REASON)
    frame.get_by_role("button", name="Set level").click()
    expect(frame.locator(".flash").first).to_contain_text("Level set")
    expect(frame.locator("#level-heading + p .level")).to_have_text("Mastery")
    expect(frame.locator("#level-heading + p")).to_contain_text("set by hand")
    frame_at_widths(page, "teacher-level-override")


def gradebook_has_the_override(page: Any, sandbox_url: str) -> None:
    row = gradebook_row(
        page,
        sandbox_url,
        TARGET,
        STUDENT,
        lambda: "the override never reached the sandbox gradebook",
        showing="set by the teacher",
    )
    expect(row.locator("td.comment")).to_have_text(f"Mastery (3, set by the teacher) on '{TARGET}'")
    expect(row).to_contain_text("FullyGraded")
    page.screenshot(path=str(SCREENSHOTS / "sandbox-gradebook-override.png"))


def student_reads_the_reason(page: Any, sandbox_url: str) -> None:
    frame = student_target(page, sandbox_url)
    expect(frame.locator("#level-heading + p .level")).to_have_text("Mastery")
    expect(frame.get_by_text(REASON).first).to_be_visible()
    frame.get_by_role("link", name="My data binder").first.click()
    section = frame.locator("section").filter(has=frame.get_by_role("heading", name=TARGET))
    expect(section).to_contain_text(f"Your teacher set your level to Mastery (3): {REASON}")
    expect(section).to_contain_text(REFLECTION)
    expect(section).to_contain_text("Levels set by the teacher")
    frame_at_widths(page, "student-binder-relearning", focus=f"#target-{_target_id(frame)}")


def _target_id(frame: Any) -> str:
    heading = frame.get_by_role("heading", name=TARGET, level=2)
    return heading.get_attribute("id").removeprefix("target-")


def open_level_page(page: Any, sandbox_url: str, level: str) -> Any:
    frame = launch(page, sandbox_url, TEACHER)
    frame.get_by_role("link", name="Data wall").first.click()
    # Data-wall cells are buttons of one GET form: "Near Mastery 2.65".
    frame.locator("tr").filter(has_text=STUDENT).get_by_role(
        "button", name=re.compile(rf"^{level} \d")
    ).last.click()
    frame.get_by_role("link", name="Relearning, history and setting the level by hand").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(f"{STUDENT}: {TARGET}")
    return frame


def teacher_reads_the_audit_trail(page: Any, sandbox_url: str) -> None:
    frame = open_level_page(page, sandbox_url, "Mastery")
    frame.get_by_role("link", name="The course's grade audit trail").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Grade audit trail")
    row = frame.locator(".audit-entry").first
    expect(row).to_contain_text("Set level by hand")
    expect(row.locator(".audit-who")).to_have_text(TEACHER)
    expect(row).to_contain_text(REASON)
    frame_at_widths(page, "teacher-grade-audit")
    # At 360 px the teacher's name and the action stay on one line each.
    page.evaluate("() => { document.getElementById('tool-frame').style.width = '360px'; }")
    for part in (".audit-who", ".audit-what strong"):
        box = row.locator(part).bounding_box()
        line = float(row.locator(part).evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert box["height"] <= line * 1.2, f"{part} wraps at 360 px: {box}"
    page.evaluate("() => { document.getElementById('tool-frame').style = ''; }")
    frame.get_by_role("link", name="What the overall grade counts").click()
    expect(frame.locator("#aggregate-mode")).to_be_visible()
    frame_at_widths(page, "teacher-grades-aggregate", focus="#aggregate-mode")


def teacher_sees_release_rules(page: Any, sandbox_url: str) -> None:
    frame = launch(page, sandbox_url, TEACHER)
    frame.get_by_role("link", name="Choice boards").first.click()
    frame.get_by_role("link", name="Mastery-based release").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Mastery-based release")
    frame.get_by_label("When the level on").select_option(label=TARGET)
    frame.get_by_label("is from").select_option(label="0 · Well Below Mastery")
    frame.get_by_label("to", exact=True).select_option(label="1 · Below Mastery")
    frame.get_by_role("button", name="Add rule").click()
    expect(frame.locator(".release-rules li")).to_contain_text(TARGET)
    frame_at_widths(page, "teacher-release-rules")


def test_relearn_teacher_sees_it_overrides_and_the_lms_gets_the_grade(live: Any, browser: Any):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        deep_link_target_column(page, live.sandbox_url)
        teacher_describes_the_levels(page, live.sandbox_url)
        student_shows_work(page, live.sandbox_url)
        frame, _ = teacher_assesses_from_the_queue(page, live.sandbox_url, "")
        save_level(frame, "1 · Below Mastery")
        student_relearns(page, live.sandbox_url)
        teacher_overrides(page, live.sandbox_url)
        gradebook_has_the_override(page, live.sandbox_url)
        student_reads_the_reason(page, live.sandbox_url)
        teacher_reads_the_audit_trail(page, live.sandbox_url)
        teacher_sees_release_rules(page, live.sandbox_url)
    finally:
        context.close()
