"""Standards in a browser: a teacher imports a CASE framework and picks targets from it; the same
standard in an earlier course of the same LMS shows as one history in the student's binder; the
assessment queue shows who looks ready to show mastery.

The sandbox LMS has one course, so the student's earlier course on the same LMS (issuer) is
provisioned in the tool's database, as its launch would have: same issuer and `sub`, same person.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from lti_pl.sandbox.course import CONTEXT_TITLE
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.support import assert_accessible, launch, tool_frame

pytestmark = pytest.mark.e2e

PACKAGE = Path(__file__).resolve().parent.parent / "support" / "case_packages" / "math.json"
TEACHER = "Ms Rivera"
STUDENT = "Hana Sato"  # sandbox-student-08: no other journey uses her
READY = "Gabe Nguyen"  # sandbox-student-07
WIDTHS = (360, 800, 1280)


def shots(page: Any, name: str, anchor: str | None = None) -> None:
    """Screenshots of the tool frame at each width, each checked for sideways scrolling."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        frame = tool_frame(page)
        if anchor:
            frame.evaluate(f"() => document.querySelector({anchor!r}).scrollIntoView()")
        client, scroll = frame.evaluate(
            "() => [document.documentElement.clientWidth, document.scrollingElement.scrollWidth]"
        )
        assert scroll <= client + 1, f"{name} at {width}px: {scroll}px wide in a {client}px frame"
        page.locator("#tool-frame").screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def _earlier_course(live: Any, identifier: str) -> None:
    """Last year's course on the same LMS: the student's two assessments on the standard."""
    from sqlalchemy import select

    from lti_pl.extensions import db
    from lti_pl.models.base import utcnow
    from lti_pl.models.courses import Course, Enrollment, Person
    from lti_pl.models.evidence import Assessment
    from lti_pl.models.platforms import Platform
    from lti_pl.models.targets import LearningTarget

    issuer = live.sandbox.platform.issuer
    with live.app.app_context():
        platform = db.session.scalar(select(Platform).where(Platform.issuer == issuer))
        person = db.session.scalar(
            select(Person).where(Person.issuer == issuer, Person.subject == "sandbox-student-08")
        )
        if person is None:
            person = Person(issuer=issuer, subject="sandbox-student-08", name=STUDENT)
            db.session.add(person)
        course = Course(
            platform_id=platform.id,
            deployment_id=platform.deployments[0].id,
            context_id="sandbox-last-year-math",
            title="Grade 5 Math (last year)",
            method_params={},
            reassessment_policy={},
        )
        db.session.add(course)
        db.session.flush()
        target = LearningTarget(
            course_id=course.id,
            statement="I can add fractions with unlike denominators",
            case_guid=identifier,
            standard_code="5.NF.A.1",
            method_params={},
        )
        enrollment = Enrollment(course_id=course.id, person_id=person.id, role="student")
        db.session.add_all([target, enrollment])
        db.session.flush()
        start = utcnow() - timedelta(days=200)
        for day, score in ((0, 1.0), (14, 2.0)):
            db.session.add(
                Assessment(
                    course_id=course.id,
                    enrollment_id=enrollment.id,
                    target_id=target.id,
                    score=score,
                    assessed_at=start + timedelta(days=day),
                )
            )
        db.session.commit()


def _scores_in_this_course(live: Any, code: str, subject: str, scores: list[float]) -> None:
    """Earlier assessments of a classmate in the sandbox course (as the quick grid would save)."""
    from sqlalchemy import select

    from lti_pl.extensions import db
    from lti_pl.models.base import utcnow
    from lti_pl.models.courses import Course, Enrollment, Person
    from lti_pl.models.evidence import Assessment
    from lti_pl.models.targets import LearningTarget
    from lti_pl.sandbox.course import CONTEXT_ID
    from lti_pl.services import mastery, readiness

    with live.app.app_context():
        course = db.session.scalar(select(Course).where(Course.context_id == CONTEXT_ID))
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
        start = utcnow() - timedelta(days=10)
        for day, score in enumerate(scores):
            db.session.add(
                Assessment(
                    course_id=course.id,
                    enrollment_id=enrollment.id,
                    target_id=target.id,
                    score=score,
                    assessed_at=start + timedelta(days=day),
                )
            )
        db.session.flush()
        mastery.recompute(enrollment.id, target.id, now=utcnow())
        readiness.refit(course.platform.issuer, now=utcnow())
        db.session.commit()


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
        frame.get_by_label("Code or words").fill("fractions")
        frame.get_by_label("Grade").select_option(label="Grade 5")
        frame.get_by_role("button", name="Find").click()
        expect(frame.locator("#match-count")).to_contain_text("matching standards")
        codes = frame.locator(".standards-tree .code").all_inner_texts()
        assert "6.EE" not in codes
        assert "K.G" not in codes
        first = frame.get_by_role("checkbox", name=re.compile(r"^5\.NF\.A\.1 "))
        second = frame.get_by_role("checkbox", name=re.compile(r"^5\.NF\.A\.2 "))
        first.check()
        second.check()
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

        # The same standard in the student's earlier course on this LMS, and a classmate's
        # history in this one.
        from tests.support.case_provider import item_id

        _earlier_course(live, item_id("nf.a.1"))
        _scores_in_this_course(live, "5.NF.A.1", "sandbox-student-07", [2.0, 3.0, 2.0, 3.0, 3.0])
        _scores_in_this_course(live, "5.NF.A.1", "sandbox-student-08", [3.0])

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
        expect(points.nth(0)).to_contain_text("Grade 5 Math (last year)")
        expect(points.nth(1)).to_contain_text("Grade 5 Math (last year)")
        expect(points.nth(2)).to_contain_text(CONTEXT_TITLE)
        assert_accessible(tool_frame(page), "binder standards")
        shots(page, "standards-binder", "#standards-heading")
    finally:
        context.close()
