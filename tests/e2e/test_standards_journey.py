"""Standards in a browser: a teacher imports a CASE framework and picks targets from it; the same
standard in the sandbox's two courses shows as one history in the student's binder, and as a prior
level on the other course's data wall; the assessment queue shows who looks ready.

Both courses, their targets and the student's enrollments come through the browser (launches from
the sandbox's course switcher); the scores are written as the quick grid would save them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from lti_pl.sandbox.course import CONTEXT_ID, CONTEXT_TITLE, COURSES
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.support import assert_accessible, launch, tool_frame

pytestmark = pytest.mark.e2e

PACKAGE = Path(__file__).resolve().parent.parent / "support" / "case_packages" / "math.json"
TEACHER = "Ms Rivera"
STUDENT = "Hana Sato"  # sandbox-student-08: no other journey uses her
READY = "Gabe Nguyen"  # sandbox-student-07
WIDTHS = (360, 800, 1280)
OTHER_CONTEXT, OTHER_COURSE = COURSES[1].context_id, COURSES[1].title


def shots(page: Any, name: str, anchor: str | None = None, block: str = "start") -> None:
    """Screenshots of the tool frame at each width, each checked for sideways scrolling.

    `anchor` is scrolled into view first (`block`: where it ends up, as scrollIntoView takes).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        frame = tool_frame(page)
        if anchor:
            frame.evaluate(
                f"() => document.querySelector({anchor!r})"
                f".scrollIntoView({{block: {block!r}, inline: 'nearest'}})"
            )
        client, scroll = frame.evaluate(
            "() => [document.documentElement.clientWidth, document.scrollingElement.scrollWidth]"
        )
        assert scroll <= client + 1, f"{name} at {width}px: {scroll}px wide in a {client}px frame"
        page.locator("#tool-frame").screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def _scores(
    live: Any, context_id: str, code: str, subject: str, scores: list[float], days_ago: int
) -> None:
    """Earlier assessments of a student in a sandbox course (as the quick grid would save)."""
    from sqlalchemy import select

    from lti_pl.extensions import db
    from lti_pl.models.base import utcnow
    from lti_pl.models.courses import Course, Enrollment, Person
    from lti_pl.models.evidence import Assessment
    from lti_pl.models.targets import LearningTarget
    from lti_pl.services import mastery, readiness

    with live.app.app_context():
        course = db.session.scalar(select(Course).where(Course.context_id == context_id))
        target = db.session.scalar(
            select(LearningTarget).where(
                LearningTarget.course_id == course.id, LearningTarget.standard_code == code
            )
        )
        enrollment = db.session.scalar(
            select(Enrollment)
            .join(Person)
            .where(Enrollment.course_id == course.id, Person.subject == subject)
        )
        start = utcnow() - timedelta(days=days_ago)
        for day, score in enumerate(scores):
            db.session.add(
                Assessment(
                    course_id=course.id,
                    enrollment_id=enrollment.id,
                    target_id=target.id,
                    score=score,
                    assessed_at=start + timedelta(days=14 * day),
                )
            )
        db.session.flush()
        mastery.recompute(enrollment.id, target.id, now=utcnow())
        readiness.refit(course.platform.issuer, now=utcnow())
        db.session.commit()


def _share_prior_levels(live: Any) -> None:
    """The LMS admin's setting (the sandbox has no LTI Administrator to launch as)."""
    from lti_pl.extensions import db
    from lti_pl.models.base import utcnow
    from lti_pl.models.standards import StandardsSettings

    with live.app.app_context():
        db.session.add(
            StandardsSettings(
                issuer=live.sandbox.platform.issuer,
                share_prior_levels=True,
                programme_roles=[],
                updated_at=utcnow(),
            )
        )
        db.session.commit()


def _pick(frame: Any, codes: list[str]) -> None:
    """On the browse screen: find Grade 5 fractions, tick the codes, add them as targets."""
    frame.get_by_label("Code or words").fill("fractions")
    frame.get_by_label("Grade").select_option(label="Grade 5")
    frame.get_by_role("button", name="Find").click()
    expect(frame.locator("#match-count")).to_contain_text("matching standards")
    for code in codes:
        frame.get_by_role("checkbox", name=re.compile(rf"^{re.escape(code)} ")).check()


def test_teacher_imports_a_framework_and_the_standard_travels(live: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # The teacher imports the framework in the browser and picks two standards.
        frame = launch(page, live.sandbox_url, TEACHER)
        frame.get_by_role("link", name="Learning targets").first.click()
        frame.get_by_role("link", name="Add from a standards framework").click()
        expect(frame.get_by_role("heading", level=1)).to_have_text("Standards")
        frame.get_by_label("CASE package file (CFPackage JSON)").set_input_files(str(PACKAGE))
        assert_accessible(tool_frame(page), "standards index")
        shots(page, "standards-index")
        frame.get_by_role("button", name="Import").click()
        expect(frame.get_by_role("heading", level=1)).to_have_text("Test Mathematics Standards")
        expect(frame.locator(".flash").first).to_contain_text("8 new")
        assert_accessible(tool_frame(page), "standards browse")
        shots(page, "standards-browse")
        _pick(frame, ["5.NF.A.1", "5.NF.A.2"])
        codes = frame.locator(".standards-tree .code").all_inner_texts()
        assert "6.EE" not in codes
        assert "K.G" not in codes
        first = frame.get_by_role("checkbox", name=re.compile(r"^5\.NF\.A\.1 "))
        # The statement wraps beside its checkbox: the box and the code sit on one line.
        box, code = (
            first.bounding_box(),
            frame.locator(".standards-tree .code", has_text="5.NF.A.1"),
        )
        assert abs(box["y"] - code.bounding_box()["y"]) < 12
        shots(page, "standards-browse-filtered")
        frame.get_by_label("Unit for the new targets (optional)").fill("Fractions")
        frame.get_by_role("button", name="Add ticked standards as targets").click()
        expect(frame.get_by_role("heading", level=1)).to_have_text("Learning targets")
        expect(frame.locator(".flash").first).to_contain_text("Added 2 learning targets")
        row = frame.locator("tr").filter(has_text="5.NF.A.1")
        expect(row).to_contain_text("Add and subtract fractions with unlike denominators")

        # The same standard in the sandbox's other course (the same people): the teacher picks it
        # from the framework the LMS's courses share; the student opens that course too.
        frame = launch(page, live.sandbox_url, TEACHER, course=OTHER_COURSE)
        frame.get_by_role("link", name="Learning targets").first.click()
        frame.get_by_role("link", name="Add from a standards framework").click()
        frame.get_by_role("link", name="Test Mathematics Standards").click()
        _pick(frame, ["5.NF.A.1"])
        frame.get_by_role("button", name="Add ticked standards as targets").click()
        expect(frame.locator(".flash").first).to_contain_text("Added 1 learning target")
        launch(page, live.sandbox_url, STUDENT, course=OTHER_COURSE)
        _scores(live, OTHER_CONTEXT, "5.NF.A.1", "sandbox-student-08", [1.0, 2.0], 200)
        _scores(live, CONTEXT_ID, "5.NF.A.1", "sandbox-student-07", [2.0, 3.0, 2.0, 3.0, 3.0], 10)
        _scores(live, CONTEXT_ID, "5.NF.A.1", "sandbox-student-08", [3.0], 10)

        # The teacher's data wall: the student's level from the other course, when shared.
        frame = launch(page, live.sandbox_url, TEACHER)
        frame.get_by_role("link", name="Data wall").first.click()
        row = frame.locator("table.wall tbody tr").filter(has_text=STUDENT)
        expect(row).to_have_count(1)
        expect(row.locator(".wall-prior")).to_have_count(0)
        _share_prior_levels(live)
        frame.get_by_role("link", name="Data wall").first.click()
        row = frame.locator("table.wall tbody tr").filter(has_text=STUDENT)
        expect(row.locator(".wall-prior")).to_have_count(1)
        expect(row.locator(".wall-prior")).to_contain_text(
            re.compile(r"^prior: .+ \(\d{4}-\d\d-\d\d\)")
        )
        assert_accessible(tool_frame(page), "data wall with prior levels")
        shots(page, "data-wall-prior-levels", ".wall-prior", block="end")

        # The queue shows who looks ready, with the chance and a plain reason.
        frame.get_by_role("link", name="Assessment queue").first.click()
        section = frame.locator("section.readiness")
        expect(section.get_by_role("heading")).to_have_text("Likely ready to show mastery")
        ready_row = section.locator("tr").filter(has_text=READY)
        expect(ready_row).to_contain_text("%")
        expect(ready_row).to_contain_text("3 of the last 4 assessments reached mastery")
        assert_accessible(tool_frame(page), "queue with readiness")
        shots(page, "standards-queue-readiness", "section.readiness")

        # The student's binder: one history for the standard, from both courses.
        frame = launch(page, live.sandbox_url, STUDENT)
        frame.get_by_role("link", name="My data binder").first.click()
        standards = frame.locator("section").filter(
            has=frame.get_by_role("heading", name="My standards across courses")
        )
        expect(standards.locator("article")).to_have_count(1)
        article = standards.locator("article")
        expect(article).to_contain_text("5.NF.A.1")
        points = article.locator(".history-points li")
        expect(points).to_have_count(3)
        expect(points.nth(0)).to_contain_text(OTHER_COURSE)
        expect(points.nth(1)).to_contain_text(OTHER_COURSE)
        expect(points.nth(2)).to_contain_text(CONTEXT_TITLE)
        assert_accessible(tool_frame(page), "binder standards")
        shots(page, "standards-binder", "#standards-heading")
    finally:
        context.close()
